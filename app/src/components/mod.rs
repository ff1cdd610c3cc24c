pub mod address;
pub mod field_error;
pub mod forms;
pub mod layout;
pub mod linked_text;
pub mod page_meta;
pub mod private_meta;
pub mod problem;
