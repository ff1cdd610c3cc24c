-- Changing an email address: the link goes to the new address and carries it.
alter table email_tokens add column new_email citext;
alter table email_tokens drop constraint email_tokens_purpose_check;
alter table email_tokens add constraint email_tokens_purpose_check
    check (purpose in ('verify_email', 'reset_password', 'change_email'));
alter table email_tokens add constraint email_tokens_new_email_only_for_change
    check ((purpose = 'change_email') = (new_email is not null));
