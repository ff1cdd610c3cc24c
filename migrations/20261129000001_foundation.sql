-- Shared building blocks for the tables that follow.

-- Case-insensitive text, for email addresses.
create extension if not exists citext;

-- Keeps updated_at honest on every table that has one:
--   create trigger <table>_updated_at before update on <table>
--     for each row execute function set_updated_at();
create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end;
$$;
