//! One version number: the Cargo workspace's (which the Python package takes through maturin)
//! is also the npm package's and the JVM artifact's.

use std::path::Path;

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn every_package_has_the_workspace_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(signalr_rest::VERSION, version);
    let npm: serde_json::Value = serde_json::from_str(&read("node/package.json")).unwrap();
    assert_eq!(npm["version"], version, "node/package.json");
    // The POM's own <version> is the first one after its artifactId.
    let pom = read("kotlin/pom.xml");
    let after_artifact = &pom[pom.find("<artifactId>").expect("artifactId")..];
    let start = after_artifact.find("<version>").expect("version") + "<version>".len();
    let end = after_artifact[start..].find("</version>").expect("</version>");
    assert_eq!(&after_artifact[start..start + end], version, "kotlin/pom.xml");
    assert!(
        read("python/pyproject.toml").contains("dynamic = [\"version\"]"),
        "python takes Cargo's"
    );
}

/// The text between `start` and the next `end` after it in `text`.
fn between<'a>(text: &'a str, start: &str, end: &str, what: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{what}: no {start:?}")) + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{what}: no {end:?}"));
    &text[from..from + to]
}

#[test]
fn projects_that_depend_on_the_jvm_artifact_ask_for_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    for pom in ["tests/package/jvm/pom.xml", "examples/jvm-ktor-notifier/pom.xml"] {
        let text = read(pom);
        let dependency = between(&text, "<artifactId>signalr-rest</artifactId>", "</version>", pom);
        assert!(
            dependency.ends_with(&format!("<version>{version}")),
            "{pom}: {dependency}"
        );
    }
}

#[test]
fn the_readme_supported_versions_table_says_what_the_manifests_declare() {
    let readme = read("README.md");
    let table = between(&readme, "## Supported versions", "\n## ", "README.md");
    let cargo = read("Cargo.toml");
    let pom = read("kotlin/pom.xml");
    let npm: serde_json::Value = serde_json::from_str(&read("node/package.json")).unwrap();
    let swift = read("swift/Package.swift");
    let declared = [
        format!(
            "rust-version = \"{}\"",
            between(&cargo, "rust-version = \"", "\"", "Cargo.toml")
        ),
        format!(
            "requires-python = \"{}\"",
            between(
                &read("python/pyproject.toml"),
                "requires-python = \"",
                "\"",
                "pyproject.toml"
            )
        ),
        format!("\"node\": \"{}\"", npm["engines"]["node"].as_str().unwrap()),
        format!(
            "Kotlin {}",
            between(&pom, "<kotlin.version>", "<", "kotlin/pom.xml")
        ),
        format!(
            "bytecode for Java {}",
            between(&pom, "<kotlin.compiler.jvmTarget>", "<", "kotlin/pom.xml")
        ),
        format!(
            "swift-tools-version:{}",
            between(&swift, "swift-tools-version:", "\n", "swift/Package.swift").trim()
        ),
    ];
    for fact in declared {
        assert!(
            table.contains(&fact),
            "README's Supported versions lacks {fact:?}"
        );
    }
}
