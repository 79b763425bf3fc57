//! The enums the store keeps as TEXT, written and read by their strum names (the same
//! `snake_case` names as in JSON), so no SQL literal spells a name by hand.

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};

use crate::account::AccountStatus;
use crate::audit::{Action, Actor};
use crate::outcome::{Outcome, ReasonKind};

macro_rules! text_column {
    ($($t:ty),* $(,)?) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(<&'static str>::from(*self)))
            }
        }

        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: strum::ParseError| FromSqlError::Other(Box::new(e)))
            }
        }
    )*};
}

text_column!(AccountStatus, Actor, Action, Outcome, ReasonKind);
