//! The migrations are compiled into the server (`sqlx::migrate!`); this makes cargo rebuild it
//! when one is added, changed or removed, which the macro cannot tell it on stable Rust.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
