pub mod address;
pub mod forms;
pub mod layout;
pub mod page_meta;
pub mod problem;
