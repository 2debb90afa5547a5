"""The conventions of Techmap's public API (``/api/v1/``). Every app's endpoints follow them.

How to add an endpoint (engagement, reporting, den, …)
======================================================

1. **Where.** Views live in ``<app>/api.py``, serializers in ``<app>/serializers.py``. Register
   the routes in ``techmap/api_urls.py`` (one ``router.register(...)`` or ``path(...)`` line per
   resource, with a ``basename``). URLs are plural nouns with hyphens
   (``engagement-requests/``); detail URLs use a stable public key (slug, code, ocid), never a
   guessable sequence where a slug exists.

2. **Base classes.** Inherit from :class:`ApiViewSet`, :class:`ReadOnlyApiViewSet` or
   :class:`ApiView` below, never from DRF's classes directly. They bring the settings-wide
   authentication (session for the browser, ``Authorization: Bearer <token>``), throttling,
   the query-string guard (a NUL byte or a value longer than :data:`MAX_QUERY_VALUE_LENGTH`
   is a 400) and :class:`ActionPermission`.

3. **Permissions.** Set ``action_permissions`` on the view: a dict from the DRF action
   (``list``, ``retrieve``, ``create``, ``update``, ``partial_update``, ``destroy`` or a custom
   ``@action`` name) to a yes/no function from the app's ``permissions.py``:
   ``fn(user) -> bool``. Object-level rules go in ``object_permissions`` as
   ``fn(user, obj) -> bool``. An action that is not listed is refused (403, or 401 for an
   anonymous caller): nothing is public by accident. Use :data:`ALLOW_ANY` and
   :data:`AUTHENTICATED` for the two common cases. A token whose scope is ``read`` can never
   run an unsafe method, whatever the rule says. The service that the view calls checks the
   permission again (services are the single source of truth; the view check gives an early,
   well-coded 401/403 and documents the rule).

4. **Reads and writes.** Querysets come from the app's selectors (scoped to what the user may
   see, with ``select_related``/``prefetch_related`` done there); writes call the app's
   services with keyword arguments. Validate input with a serializer, then call the service
   with ``serializer.validated_data``; never ``serializer.save()`` onto a model. Services raise
   ``core.errors.DomainError`` (answered as 400 with field errors) and Django's
   ``PermissionDenied`` (answered as 403) — let both propagate, the exception handler below
   turns them into the error shape. A DomainError whose errors all have the code ``unique``
   or ``conflict`` is answered 409 (the request clashes with existing data).

5. **Errors.** Every error, from DRF, Django or a service, has ONE shape::

       {"error": {"status": 400, "code": "invalid", "message": "…",
                  "fields": {"name": [{"code": "required", "message": "…"}]}}}

   ``fields`` is present only for field errors; nested fields use dotted paths
   (``case_studies.0.title``). ``code`` is stable and machine-readable; ``message`` is for
   people. Raise DRF exceptions (``ValidationError``, ``NotFound``, …), ``DomainError`` or
   ``PermissionDenied``; never build an error ``Response`` by hand (use :func:`error_response`
   if you really must). Django's own 404/500 under ``/api/v…`` are answered in the same shape
   by :func:`django_error_response` (wired from ``techmap.views``).

6. **Lists** use :class:`CursorPagination` (set by default in settings): keyset pagination on
   the queryset's own ordering plus the primary key as a unique tie-breaker, no ``COUNT(*)``,
   no OFFSET, ``page_size`` from 1 to 100 (default 20; anything else is a 400). Give every
   list queryset an explicit ``order_by`` on columns or annotations (annotate an expression,
   then order by its name). A cursor that does not fit the list is a 404 ``invalid_cursor``.
   The page shape is ``{"next": url|null, "previous": url|null, "results": [...]}``.

7. **Query parameters** are declared with a query serializer (see ``SupplierQuerySerializer``)
   or a FilterSet and documented through ``@extend_schema(parameters=[...])``. The schema must
   say exactly what is accepted, both ways: a value of the wrong type is a 400 (never
   silently ignored), and every value the schema allows is answered 2xx/404. So parameters
   that take codes or ids of reference rows are documented as enums (choices read from the
   database when the schema is built), or accept unknown values. Text parameters get the
   NUL/length guard in the schema automatically.

8. **Schema.** drf-spectacular builds ``/api/v1/schema/``; ``/api/v1/reference/`` renders it
   as a GOV.UK page (core/api/reference.py, the primary docs: no JavaScript needed), and
   Swagger UI at ``/api/v1/docs/`` (drf-spectacular-sidecar's static files) is the extra.
   The ``AutoSchema`` below adds the 400/401/403/404/429 error responses, with examples, to
   every operation (and 409 to every write), so only success responses (and extra ones,
   such as 304) need ``@extend_schema``. Give each operation a ``summary``. Two choice fields
   with the same name (``status``) need an entry in ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``.

9. **Throttling** is on for every view: ``anon`` (by IP), ``user`` (browser session) and
   ``token`` (per API token) fixed-window rates from the settings ``API_THROTTLE_*``; the
   answer is a 429 with ``Retry-After``.

10. **Tests** live in ``tests/<app>/test_api.py``: the permission cast (anonymous, read token,
    write token of another organisation, member, owner, moderator) for every write, and a
    pinned query count (``django_assert_max_num_queries``) for every list and detail. The
    schemathesis contract test (``tests/api/test_contract.py``) fuzzes every operation of
    the schema by group: add your paths to a group there.
"""
