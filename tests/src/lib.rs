//! Test support for the lark-openapi workspace: a faithful fake of the Lark Open API.
