//! The README's Rust examples are `examples/*.rs` word for word, so they compile and run
//! (scripts/lib/test-rust runs each).

#[test]
fn readme_shows_every_example_verbatim() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    for name in ["quickstart", "keyless"] {
        let example = std::fs::read_to_string(root.join(format!("examples/{name}.rs"))).unwrap();
        assert!(
            readme.contains(&example),
            "README.md must contain core/examples/{name}.rs verbatim"
        );
    }
}
