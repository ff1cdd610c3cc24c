-- Delivered emails keep no body. A body holds live links (password resets, verification,
-- invitations); once the provider has accepted the email, the row keeps only what shows the
-- delivery: recipient, subject, kind, times and the provider's id for it.
alter table email_outbox
    alter column text_body drop not null,
    alter column html_body drop not null,
    add column kind text,
    add column provider_message_id text;

comment on column email_outbox.text_body is 'null once delivered';
comment on column email_outbox.html_body is 'null once delivered';
comment on column email_outbox.kind is 'which email this is (app::email::EmailKind); null for rows queued before it was recorded';
comment on column email_outbox.provider_message_id is 'the provider''s id for the delivered email (SendGrid''s X-Message-Id)';

update email_outbox set text_body = null, html_body = null where sent_at is not null;

-- Bodies are cleared only after delivery, never before.
alter table email_outbox add constraint email_outbox_body_until_sent
    check (sent_at is not null or (text_body is not null and html_body is not null));
