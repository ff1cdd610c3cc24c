pub mod layout;
pub mod page_meta;
