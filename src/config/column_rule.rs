//! Per-column comparison rules of a keyed diff (`compare = { col = "trim lower" }`).

/// A per-column comparison rule for real legacy quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRule {
    /// Strip leading and trailing spaces.
    Trim,
    /// Compare lowercased.
    Lower,
    /// Compare as a calendar date (drop any time part).
    Date,
    /// Compare as a number rounded to N decimals.
    Round(u32),
    /// Compare as text, with no type-based normalization.
    Text,
}

impl ColumnRule {
    pub fn parse_list(s: &str) -> Result<Vec<ColumnRule>, String> {
        s.split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(|w| match w {
                "trim" => Ok(ColumnRule::Trim),
                "lower" => Ok(ColumnRule::Lower),
                "date" => Ok(ColumnRule::Date),
                "text" => Ok(ColumnRule::Text),
                _ => w
                    .strip_prefix("round:")
                    .and_then(|n| n.parse::<u32>().ok().filter(|n| *n <= 18))
                    .map(ColumnRule::Round)
                    .ok_or_else(|| format!("`{w}` is not a comparison rule")),
            })
            .collect()
    }
}
