//! Doc-comment helpers: text lines in, `#[doc = …]` attributes out.

use proc_macro2::TokenStream;
use quote::quote;

/// Outer doc attributes (`///`), one per line; an empty line stays a paragraph break.
pub fn outer(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| format!(" {l}").trim_end().to_string());
    quote! { #( #[doc = #lines] )* }
}

/// Inner doc attributes (`//!`), one per line.
pub fn inner(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| format!(" {l}").trim_end().to_string());
    quote! { #( #![doc = #lines] )* }
}

/// Splits a paragraph into lines of at most about `width` characters, on spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split("\n\n") {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The doc line of a place that accepts only some values of its enum.
pub fn accepted_line(values: &[String]) -> String {
    let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    format!(
        "Only {} are accepted here (the enum also has the values other endpoints use).",
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_paragraphs_and_width() {
        let lines = wrap("one two three four\n\nfive", 9);
        assert_eq!(lines, ["one two", "three", "four", "", "five"]);
    }
}
