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
