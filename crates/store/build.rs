// The migrations are compiled in by `sqlx::migrate!`; a new or changed file must rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
