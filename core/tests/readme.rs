//! The README's Rust example is `examples/quickstart.rs` word for word, so it compiles and runs.

#[test]
fn readme_shows_the_quickstart_example_verbatim() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("examples/quickstart.rs")).unwrap();
    assert!(
        readme.contains(&example),
        "README.md must contain core/examples/quickstart.rs verbatim"
    );
}
