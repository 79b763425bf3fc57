//! The enums whose names are part of Signoff's interface (JSON, the store's TEXT columns, logs,
//! the page's types): declared through [`named!`](crate::named), so each gets the same derives,
//! the same spelling in serde and strum, and `as_str`, from one place.

/// Declares a `pub enum` of plain variants named in `snake_case` (or the case given first, as
/// `"kebab-case";`) for serde and strum alike, with `Debug, Clone, Copy, PartialEq, Eq, Hash`,
/// `Serialize, Deserialize`, strum's `IntoStaticStr, EnumString, Display`, and `as_str()`.
#[macro_export]
#[doc(hidden)]
macro_rules! named {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $crate::named!("snake_case"; $(#[$meta])* pub enum $name { $($body)* });
    };
    ($case:literal; $(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::strum::IntoStaticStr,
            ::strum::EnumString,
            ::strum::Display,
        )]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        pub enum $name { $($body)* }

        impl $name {
            /// The name as it appears in JSON, the store and logs.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}
