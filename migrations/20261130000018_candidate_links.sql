-- Each candidate place carries its link on Google Maps: Google's terms ask for a link to the
-- place wherever its content is shown, the choice between candidates included.
alter table business_place_candidates add column maps_url text
    check (maps_url is null or maps_url like 'https://%');
