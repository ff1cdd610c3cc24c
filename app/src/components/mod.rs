pub mod forms;
pub mod layout;
pub mod page_meta;
