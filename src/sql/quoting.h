#pragma once

// The one place identifiers and literals are quoted (STYLE.md R18). Every identifier that reaches
// SQL text goes through QuoteIdent, every literal that cannot be a bind parameter through
// QuoteLiteral.

#include <string>
#include <string_view>

namespace tenantdb::sql {

// Always double-quotes: `"` doubled, everything else kept as is (so case and unicode survive).
// The server reads the result back as exactly `identifier`. Identifiers with a NUL byte are
// refused earlier by validation (the server cannot store them); here a NUL is dropped.
std::string QuoteIdent(std::string_view identifier);

// As PostgreSQL's quote_literal(): single quotes doubled; when the value holds a backslash, the
// E'' form with backslashes doubled.
std::string QuoteLiteral(std::string_view value);

}  // namespace tenantdb::sql
