#include "sql/quoting.h"

namespace tenantdb::sql {

std::string QuoteIdent(std::string_view identifier) {
  std::string out;
  out.reserve(identifier.size() + 2);
  out += '"';
  for (const char c : identifier) {
    if (c == '\0') {
      continue;  // the server cannot store a NUL; validation refuses such names earlier
    }
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteLiteral(std::string_view value) {
  // PostgreSQL's quote_literal() (utils/adt/quote.c, quote_literal_internal): a leading E when
  // the value holds a backslash, then every ' and \ doubled. A NUL cannot be in a text value;
  // it is dropped here so that nothing after it can change meaning.
  std::string out;
  out.reserve(value.size() + 3);
  if (value.find('\\') != std::string_view::npos) {
    out += 'E';
  }
  out += '\'';
  for (const char c : value) {
    if (c == '\0') {
      continue;
    }
    if (c == '\'' || c == '\\') {
      out += c;
    }
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace tenantdb::sql
