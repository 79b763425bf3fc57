//! What Signoff is, for "About" in the window and `--version` of both programs: the version,
//! Signoff's licence, and the third-party assets it bundles with theirs.

use serde::Serialize;

/// Signoff's version (the workspace's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Signoff's licence, as an SPDX expression.
pub const LICENSE: &str = env!("CARGO_PKG_LICENSE");

/// A third-party asset shipped inside Signoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Asset {
    /// What it is in Signoff.
    pub what: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// Its licence, as an SPDX identifier.
    pub license: &'static str,
    /// Where to read more.
    pub url: &'static str,
}

/// Every bundled third-party asset (the provider icons; the app icon is Signoff's own).
pub const ASSETS: &[Asset] = &[Asset {
    what: "provider icons (the logos are trademarks of their owners)",
    source: "Simple Icons 16.37.0",
    license: "CC0-1.0",
    url: "https://simpleicons.org",
}];

/// The whole of "About", as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct About {
    pub version: &'static str,
    pub license: &'static str,
    pub assets: Vec<Asset>,
}

/// "About" for the window.
pub fn about() -> About {
    About {
        version: VERSION,
        license: LICENSE,
        assets: ASSETS.to_vec(),
    }
}

/// `program --version`: the version line, then the licences.
pub fn long_version() -> String {
    let mut text = format!("{VERSION}\nLicence: {LICENSE}\n");
    for a in ASSETS {
        text.push_str(&format!(
            "Includes {}: {}, {} ({})\n",
            a.what, a.source, a.license, a.url
        ));
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_version_names_the_version_the_licence_and_every_asset_s_licence() {
        let text = long_version();
        assert!(text.starts_with(&format!("{VERSION}\n")), "{text}");
        assert!(text.contains("Licence: MIT OR Apache-2.0"), "{text}");
        assert!(text.contains("Simple Icons 16.37.0, CC0-1.0"), "{text}");
    }
}
