#include "gateway/pixel/js_minifier.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace affonso::gateway {
namespace {

enum class State { kCode, kSingleQuoted, kDoubleQuoted, kTemplate, kBlockComment };

bool IsWordChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '$'; }

// After these a `/` starts a regular expression literal; after anything else
// (an identifier, a number, `)`, `]`) it divides.
bool StartsExpression(char last_significant, absl::string_view last_word) {
  if (last_significant == '\0') return true;
  if (IsWordChar(last_significant)) {
    for (absl::string_view keyword : {"return", "typeof", "instanceof", "in", "of", "new", "delete",
                                      "void", "throw", "case", "do", "else", "yield", "await"}) {
      if (last_word == keyword) return true;
    }
    return false;
  }
  return absl::string_view("(,=:[!&|?{};+-*%<>~^}").find(last_significant) !=
         absl::string_view::npos;
}

// Follows the lexical state through a source, one line at a time.
class Scanner {
 public:
  struct Line {
    bool has_code = false;  // anything but whitespace and comments
    // For a line that starts inside a block comment: where the code after
    // its first `*/` begins (npos: the comment does not end on this line).
    size_t after_comment = absl::string_view::npos;
    bool opened_comment = false;  // ends inside a block comment opened on it
  };

  State state() const { return state_; }
  bool AtTopLevel() const { return state_ == State::kCode && braces_.empty(); }

  absl::StatusOr<Line> Scan(absl::string_view text, int line_number) {
    Line line;
    size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      const char next = i + 1 < text.size() ? text[i + 1] : '\0';
      switch (state_) {
        case State::kBlockComment:
          if (c == '*' && next == '/') {
            state_ = State::kCode;
            i += 2;
            if (line.after_comment == absl::string_view::npos && !line.has_code &&
                !line.opened_comment) {
              line.after_comment = i;
            }
            line.opened_comment = false;
            continue;
          }
          ++i;
          continue;
        case State::kSingleQuoted:
        case State::kDoubleQuoted: {
          const char quote = state_ == State::kSingleQuoted ? '\'' : '"';
          if (c == '\\') {
            i += 2;  // an escape, or a continuation when at the end
            continue;
          }
          if (c == quote) state_ = State::kCode;
          ++i;
          continue;
        }
        case State::kTemplate:
          if (c == '\\') {
            i += 2;
            continue;
          }
          if (c == '`') {
            state_ = State::kCode;
          } else if (c == '$' && next == '{') {
            braces_.push_back(0);
            state_ = State::kCode;
            Significant('{');
            i += 2;
            continue;
          }
          ++i;
          continue;
        case State::kCode:
          break;
      }
      // Code.
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (c == '/' && next == '/') break;  // the rest of the line is a comment
      if (c == '/' && next == '*') {
        state_ = State::kBlockComment;
        line.opened_comment = true;
        i += 2;
        continue;
      }
      line.has_code = true;
      if (c == '/' && StartsExpression(last_significant_, last_word_) &&
          !(previous_significant_ == last_significant_ &&
            (last_significant_ == '+' || last_significant_ == '-'))) {  // i++ / 2
        i = SkipRegularExpression(text, i);
        if (i == absl::string_view::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_number, ": unterminated regular expression"));
        }
        Significant('/');
        last_word_.clear();
        continue;
      }
      if (IsWordChar(c)) {
        const size_t start = i;
        while (i < text.size() && IsWordChar(text[i])) ++i;
        last_word_ = std::string(text.substr(start, i - start));
        Significant(text[i - 1]);
        continue;
      }
      last_word_.clear();
      Significant(c);
      if (c == '\'') {
        state_ = State::kSingleQuoted;
      } else if (c == '"') {
        state_ = State::kDoubleQuoted;
      } else if (c == '`') {
        state_ = State::kTemplate;
      } else if (c == '{' && !braces_.empty()) {
        ++braces_.back();
      } else if (c == '}' && !braces_.empty()) {
        if (braces_.back() == 0) {
          braces_.pop_back();
          state_ = State::kTemplate;
        } else {
          --braces_.back();
        }
      }
      ++i;
    }
    if (state_ == State::kSingleQuoted || state_ == State::kDoubleQuoted) {
      // Only a `\` right before the line break (LF or CR LF) continues a string.
      absl::string_view rest = text;
      if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
      size_t backslashes = 0;
      while (backslashes < rest.size() && rest[rest.size() - 1 - backslashes] == '\\') {
        ++backslashes;
      }
      if (backslashes % 2 == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number, ": unterminated string"));
      }
    }
    return line;
  }

 private:
  // From the opening `/` at `start`: past the closing `/` (a `/` inside a
  // [...] class or escaped does not close), or npos when the line ends first.
  static size_t SkipRegularExpression(absl::string_view text, size_t start) {
    bool in_class = false;
    for (size_t i = start + 1; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\\') {
        ++i;
      } else if (c == '[') {
        in_class = true;
      } else if (c == ']') {
        in_class = false;
      } else if (c == '/' && !in_class) {
        return i + 1;
      }
    }
    return absl::string_view::npos;
  }

  void Significant(char c) {
    previous_significant_ = last_significant_;
    last_significant_ = c;
  }

  State state_ = State::kCode;
  // One entry per open `${`: the `{` nesting inside it, so that its own `}`
  // returns to the template.
  std::vector<int> braces_;
  // The last two characters of code that were not whitespace or comments.
  char last_significant_ = '\0';
  char previous_significant_ = '\0';
  std::string last_word_;  // when last_significant_ ends an identifier
};

}  // namespace

absl::StatusOr<std::string> MinifyJs(absl::string_view source) {
  Scanner scanner;
  std::string out;
  // Whether the block comment we are in has its opening `/*` in the output
  // (it began after code on a line that was kept): its end must be kept too.
  bool comment_opener_kept = false;
  int line_number = 0;
  for (absl::string_view text : absl::StrSplit(source, '\n')) {
    ++line_number;
    const State start = scanner.state();
    auto line = scanner.Scan(text, line_number);
    if (!line.ok()) return line.status();
    const State end = scanner.state();
    absl::string_view kept;
    bool keep = true;
    if (start == State::kCode || start == State::kBlockComment) {
      const bool closes_comment = line->after_comment != absl::string_view::npos;
      if (start == State::kBlockComment && comment_opener_kept) {
        // Its inside may go, but not its end.
        keep = closes_comment;
        kept = text;
      } else if (!line->has_code) {
        keep = false;
      } else if (start == State::kBlockComment) {
        kept = text.substr(line->after_comment);  // the comment's own part goes with its start
      } else {
        kept = text;
      }
      kept = absl::StripLeadingAsciiWhitespace(kept);
      // Whitespace before the line break belongs to a string or template
      // that continues onto the next line.
      if (end == State::kCode || end == State::kBlockComment) {
        kept = absl::StripTrailingAsciiWhitespace(kept);
      }
    } else {
      kept = text;  // inside a string or template: every byte is its content
    }
    if (line->opened_comment) comment_opener_kept = keep;
    if (!keep) continue;
    out.append(kept.data(), kept.size());
    out.push_back('\n');
  }
  if (!scanner.AtTopLevel()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unterminated ",
                     scanner.state() == State::kBlockComment ? "comment"
                     : scanner.state() == State::kTemplate   ? "template literal"
                     : scanner.state() == State::kCode       ? "${...} in a template literal"
                                                             : "string",
                     " at the end"));
  }
  return out;
}

}  // namespace affonso::gateway
