#include "migrate/splitter.h"

#include <algorithm>
#include <cctype>

namespace tenantdb::migrate {
namespace {

bool IsIdentStart(unsigned char c) { return std::isalpha(c) != 0 || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || std::isdigit(c) != 0 || c == '$'; }

bool WordIs(std::string_view word, std::string_view upper) {
  return word.size() == upper.size() &&
         std::equal(word.begin(), word.end(), upper.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == b;
         });
}

class Splitter {
 public:
  explicit Splitter(std::string_view s) : s_(s) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") {
      i_ = 3;
    }
  }

  std::vector<ScriptStatement> Run() {
    while (i_ < s_.size()) {
      Step();
    }
    Finish(s_.size());
    return std::move(out_);
  }

 private:
  void Step() {
    const char c = s_[i_];
    const char next = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
    if (c == '-' && next == '-') {
      SkipTo("\n", false);
      return;
    }
    if (c == '/' && next == '*') {
      SkipBlockComment();
      return;
    }
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      Advance(1);
      return;
    }
    if (c == ';' && atomic_depth_ == 0) {
      Finish(i_);
      ++i_;
      return;
    }
    MarkContent();
    if (c == '\'') {
      const bool escapes = i_ > 0 && (s_[i_ - 1] == 'E' || s_[i_ - 1] == 'e') &&
                           (i_ < 2 || !IsIdentChar(static_cast<unsigned char>(s_[i_ - 2])));
      SkipQuoted('\'', escapes);
      return;
    }
    if (c == '"') {
      SkipQuoted('"', false);
      return;
    }
    if (c == '$' && TryDollarQuote()) {
      return;
    }
    if (IsIdentStart(static_cast<unsigned char>(c))) {
      Word();
      return;
    }
    Advance(1);
  }

  void Word() {
    const std::size_t start = i_;
    while (i_ < s_.size() && IsIdentChar(static_cast<unsigned char>(s_[i_]))) {
      ++i_;
    }
    const std::string_view word = s_.substr(start, i_ - start);
    if (atomic_depth_ == 0) {
      if (WordIs(word, "ATOMIC") && WordIs(previous_word_, "BEGIN")) {
        atomic_depth_ = 1;
      }
    } else if (WordIs(word, "CASE")) {
      ++atomic_depth_;
    } else if (WordIs(word, "END")) {
      --atomic_depth_;
    }
    previous_word_ = word;
  }

  // Marks the first byte of a statement that is not whitespace or a comment.
  void MarkContent() {
    if (!has_content_) {
      has_content_ = true;
      content_start_ = i_;
      content_line_ = line_;
    }
  }

  void Advance(std::size_t n) {
    for (std::size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') {
        ++line_;
      }
    }
  }

  void SkipTo(std::string_view end, bool include) {
    const std::size_t found = s_.find(end, i_);
    const std::size_t stop =
        found == std::string_view::npos ? s_.size() : found + (include ? end.size() : 0);
    Advance(stop - i_);
  }

  void SkipBlockComment() {
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_.compare(i_, 2, "/*") == 0) {
        ++depth;
        Advance(2);
      } else if (s_.compare(i_, 2, "*/") == 0) {
        Advance(2);
        if (--depth == 0) {
          return;
        }
      } else {
        Advance(1);
      }
    }
  }

  void SkipQuoted(char quote, bool backslash_escapes) {
    Advance(1);
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (backslash_escapes && c == '\\') {
        Advance(2);
      } else if (c == quote) {
        Advance(1);
        if (i_ < s_.size() && s_[i_] == quote) {
          Advance(1);  // doubled quote
        } else {
          return;
        }
      } else {
        Advance(1);
      }
    }
  }

  // $$ or $tag$ (a tag is an identifier without $); `$1` and `a$b` are no quotes.
  bool TryDollarQuote() {
    if (i_ > 0 && IsIdentChar(static_cast<unsigned char>(s_[i_ - 1]))) {
      return false;
    }
    std::size_t j = i_ + 1;
    if (j < s_.size() && IsIdentStart(static_cast<unsigned char>(s_[j]))) {
      while (j < s_.size() && IsIdentChar(static_cast<unsigned char>(s_[j])) && s_[j] != '$') {
        ++j;
      }
    }
    if (j >= s_.size() || s_[j] != '$') {
      return false;
    }
    const std::string tag(s_.substr(i_, j - i_ + 1));
    Advance(tag.size());
    SkipTo(tag, true);
    return true;
  }

  void Finish(std::size_t end) {
    if (has_content_) {
      std::string_view text = s_.substr(content_start_, end - content_start_);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
      }
      out_.push_back(ScriptStatement{.text = std::string(text), .line = content_line_});
    }
    has_content_ = false;
    atomic_depth_ = 0;
    previous_word_ = {};
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
  bool has_content_ = false;
  std::size_t content_start_ = 0;
  int content_line_ = 1;
  int atomic_depth_ = 0;
  std::string_view previous_word_;
  std::vector<ScriptStatement> out_;
};

}  // namespace

std::vector<ScriptStatement> SplitStatements(std::string_view script) {
  return Splitter(script).Run();
}

int LineOfPosition(const ScriptStatement& statement, int position) {
  int line = statement.line;
  int chars = 0;
  for (const char c : statement.text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      if (++chars >= position) {
        break;
      }
    }
    if (c == '\n') {
      ++line;
    }
  }
  return line;
}

}  // namespace tenantdb::migrate
