-- Mail for one organisation arrives many messages at once, and each new or answered thread moves
-- the organisation's data version. Moved by a row trigger, the version's row stays locked from
-- that statement to the end of the transaction (the message insert, the commit's flush), so the
-- organisation's inbound mail was stored one message at a time. Moved at commit instead, by a
-- deferred constraint trigger, the row is locked only for the commit itself. Nothing reads the
-- version inside the transaction that moves it, so the later move changes no answer.
drop trigger inbox_threads_moved on inbox_threads;
create constraint trigger inbox_threads_moved after insert or update or delete on inbox_threads
    deferrable initially deferred
    for each row execute function org_data_moved();
