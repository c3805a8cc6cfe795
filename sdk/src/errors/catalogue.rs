//! Error codes, written once per service version.
//!
//! The same code means the same thing on every endpoint of a service version (`230002`: the
//! bot is not in the chat), so each version's catalogue (`spec/<svc>/<ver>/errors.json`) is
//! generated once, as the enum `<svc>::<ver>::ErrorCode` and a table of [`CodeEntry`]s
//! (name, meaning, advice, whether a retry can help), by the [`error_codes!`] macro. An
//! endpoint lists the codes it documents as [`ErrorRow`]s pointing into that table, with
//! its own wording only where it says something more precise.

use std::fmt;

/// One code of a service version's catalogue.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodeEntry {
    /// The platform's code.
    pub code: i64,
    /// Its name in the catalogue, snake_case (`bot_not_in_chat`).
    pub name: &'static str,
    /// What the code means.
    pub meaning: &'static str,
    /// What to do about it.
    pub advice: &'static str,
    /// Whether sending the same request again can succeed.
    pub retryable: bool,
}

impl CodeEntry {
    /// For [`error_codes!`].
    #[doc(hidden)]
    pub const fn new(
        code: i64,
        name: &'static str,
        meaning: &'static str,
        advice: &'static str,
        retryable: bool,
    ) -> Self {
        CodeEntry {
            code,
            name,
            meaning,
            advice,
            retryable,
        }
    }
}

/// A code an endpoint documents: the catalogue entry (by index), and the endpoint's own
/// wording where it is more precise than the catalogue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorRow {
    /// Index in the service version's [`CodeEntry`] table.
    pub entry: u16,
    /// The endpoint's meaning, when it differs from the catalogue's.
    pub meaning: Option<&'static str>,
    /// The endpoint's advice, when it differs from the catalogue's.
    pub advice: Option<&'static str>,
}

impl ErrorRow {
    /// A documented code with the catalogue's wording.
    #[doc(hidden)]
    pub const fn of(entry: u16) -> Self {
        ErrorRow {
            entry,
            meaning: None,
            advice: None,
        }
    }

    /// A documented code with the endpoint's own wording.
    #[doc(hidden)]
    pub const fn worded(
        entry: u16,
        meaning: Option<&'static str>,
        advice: Option<&'static str>,
    ) -> Self {
        ErrorRow {
            entry,
            meaning,
            advice,
        }
    }
}

/// A service version's error codes: the generated `ErrorCode` enums implement it.
///
/// ```
/// use lark_openapi::im::v1::ErrorCode;
/// use lark_openapi::Catalogue;
///
/// assert_eq!(ErrorCode::BotNotInChat.code(), 230002);
/// assert_eq!(ErrorCode::from_code(230002), Some(ErrorCode::BotNotInChat));
/// println!("{}: {}", ErrorCode::BotNotInChat.meaning(), ErrorCode::BotNotInChat.advice());
/// ```
pub trait Catalogue: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// The service version, `im.v1`: the endpoints whose ids start with it use this
    /// catalogue.
    const VERSION: &'static str;

    /// The entries, in the order of the enum's variants.
    const ENTRIES: &'static [CodeEntry];

    /// The variant of the entry at `index`.
    fn from_index(index: usize) -> Option<Self>;

    /// The index of this variant's entry.
    fn index(self) -> usize;

    /// This code's entry.
    fn entry(self) -> &'static CodeEntry {
        &Self::ENTRIES[self.index()]
    }

    /// The platform's code.
    fn code(self) -> i64 {
        self.entry().code
    }

    /// What the code means.
    fn meaning(self) -> &'static str {
        self.entry().meaning
    }

    /// What to do about it.
    fn advice(self) -> &'static str {
        self.entry().advice
    }

    /// Whether sending the same request again can succeed.
    fn is_retryable(self) -> bool {
        self.entry().retryable
    }

    /// The first variant with this code (a code some endpoints use with another meaning
    /// has a variant per meaning; the endpoint's own rows pick the right one).
    fn from_code(code: i64) -> Option<Self> {
        let index = Self::ENTRIES.iter().position(|e| e.code == code)?;
        Self::from_index(index)
    }
}

/// The index of `code`'s entry among `rows` (an endpoint's documented codes), else its
/// first entry in the catalogue.
pub(crate) fn find(
    catalogue: &'static [CodeEntry],
    rows: &'static [ErrorRow],
    code: i64,
) -> Lookup {
    let row = rows.iter().find(|r| {
        catalogue
            .get(usize::from(r.entry))
            .is_some_and(|e| e.code == code)
    });
    match row {
        Some(row) => Lookup {
            index: Some(usize::from(row.entry)),
            row: Some(row),
        },
        None => Lookup {
            index: catalogue.iter().position(|e| e.code == code),
            row: None,
        },
    }
}

/// The index of `code`'s entry: the endpoint's row for it, else the catalogue's first.
pub(crate) fn find_entry(
    catalogue: &'static [CodeEntry],
    rows: &'static [ErrorRow],
    code: i64,
) -> Option<usize> {
    find(catalogue, rows, code).index
}

/// What [`find`] found.
pub(crate) struct Lookup {
    pub(crate) index: Option<usize>,
    pub(crate) row: Option<&'static ErrorRow>,
}

/// Writes a catalogue of error codes: an enum (each variant documented with its code,
/// meaning and advice), its [`CodeEntry`] table and its [`Catalogue`] impl. Every generated
/// `ErrorCode` is written with it; write one for an operation the SDK does not generate, to
/// type the errors of its [`RawCall`](crate::RawCall) with
/// [`codes`](crate::RawCall::codes). Each entry: code, variant, snake_case name, meaning,
/// advice, whether a retry can help.
///
/// ```
/// lark_openapi::error_codes! {
///     /// The codes of `search.v1` that this app handles.
///     pub enum SearchCode("search.v1") {
///         99992402 InvalidParameter "invalid_parameter"
///             "A request parameter is missing or wrong." "Fix the parameter named in the message." false,
///     }
/// }
/// use lark_openapi::Catalogue;
/// assert_eq!(SearchCode::InvalidParameter.code(), 99992402);
/// ```
#[macro_export]
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($version:literal) {
            $( $code:literal $variant:ident $snake:literal $meaning:literal $advice:literal $retryable:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                #[doc = concat!("**", stringify!($code), "**: ", $meaning)]
                #[doc = ""]
                #[doc = concat!("What to do: ", $advice)]
                $variant,
            )*
        }

        impl $crate::Catalogue for $name {
            const VERSION: &'static str = $version;
            const ENTRIES: &'static [$crate::CodeEntry] = &[
                $( $crate::CodeEntry::new($code, $snake, $meaning, $advice, $retryable), )*
            ];

            fn from_index(index: usize) -> ::core::option::Option<Self> {
                const ALL: &[$name] = &[$( $name::$variant, )*];
                ALL.get(index).copied()
            }

            fn index(self) -> usize {
                self as usize
            }
        }
    };
}
