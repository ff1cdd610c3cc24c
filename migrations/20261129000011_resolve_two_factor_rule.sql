-- The organisation's two-factor rule comes with the membership it resolves, so the access check
-- of every member request stays one statement.
drop function app_resolve_organisation(text, uuid);
create function app_resolve_organisation(p_slug text, p_user_id uuid)
returns table (org_id uuid, slug text, name text, role text, require_two_factor boolean)
language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
    select o.org_id, o.slug::text, o.name, m.role, o.require_two_factor
    from organisation_slugs s
    join organisations o on o.org_id = s.org_id
    join memberships m on m.org_id = o.org_id and m.user_id = p_user_id
    where s.slug = p_slug::citext
$$;
revoke all on function app_resolve_organisation(text, uuid) from public;
grant execute on function app_resolve_organisation(text, uuid) to ops_app;
