#include "tests/contract/contract_checker.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace affonso::tests {
namespace {

using google::protobuf::Value;

struct Type {
  enum Kind {
    kString,
    kNumber,
    kBoolean,
    kTimestamp,
    kObject,  // any JSON object
    kAny,
    kNull,
    kLiteral,  // a string literal: text
    kTrue,
    kFalse,
    kMap,    // items[0]: the values' type
    kNamed,  // text: a type or alias
    kArray,  // items[0]: the elements' type
    kUnion,  // items: the alternatives
  };
  Kind kind = kAny;
  std::string text;
  std::vector<Type> items;
};

struct Field {
  std::string name;
  bool optional = false;
  Type type;
};

struct ObjectType {
  std::string name;
  std::vector<Field> fields;
  bool open = false;  // `...`: fields the description does not name are allowed
};

enum class Envelope { kSingle, kOffset, kCursor, kList, kDelete, kBare };

struct RouteEntry {
  Envelope envelope = Envelope::kSingle;
  Type data;
  std::string shape;
};

std::string TypeToString(const Type& type) {
  switch (type.kind) {
    case Type::kString:
      return "string";
    case Type::kNumber:
      return "number";
    case Type::kBoolean:
      return "boolean";
    case Type::kTimestamp:
      return "timestamp";
    case Type::kObject:
      return "object";
    case Type::kAny:
      return "any";
    case Type::kNull:
      return "null";
    case Type::kLiteral:
      return absl::StrCat("\"", type.text, "\"");
    case Type::kTrue:
      return "true";
    case Type::kFalse:
      return "false";
    case Type::kNamed:
      return type.text;
    case Type::kMap:
      return absl::StrCat("map<", TypeToString(type.items[0]), ">");
    case Type::kArray: {
      const std::string element = TypeToString(type.items[0]);
      return type.items[0].kind == Type::kUnion ? absl::StrCat("(", element, ")[]")
                                                : absl::StrCat(element, "[]");
    }
    case Type::kUnion: {
      std::vector<std::string> parts;
      for (const Type& item : type.items) parts.push_back(TypeToString(item));
      return absl::StrJoin(parts, " | ");
    }
  }
  return "?";
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", message));
  }

  // Skips blanks and `#` comments.
  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        if (c == '\n') ++line_;
        ++pos_;
      } else {
        return;
      }
    }
  }

  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }

  bool Consume(absl::string_view token) {
    SkipSpace();
    if (!absl::StartsWith(text_.substr(pos_), token)) return false;
    pos_ += token.size();
    return true;
  }

  absl::Status Expect(absl::string_view token) {
    if (Consume(token)) return absl::OkStatus();
    return Error(absl::StrCat("expected '", token, "'"));
  }

  absl::StatusOr<std::string> Word() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (pos_ == start) return Error("expected a name");
    return std::string(text_.substr(start, pos_ - start));
  }

  // A run of non-blank characters (a path template).
  absl::StatusOr<std::string> Raw() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && !absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    if (pos_ == start) return Error("expected a path");
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::StatusOr<Type> ParseUnion() {
    Type type;
    type.kind = Type::kUnion;
    do {
      absl::StatusOr<Type> item = ParsePostfix();
      if (!item.ok()) return item.status();
      // (A | B) | C is one union.
      if (item->kind == Type::kUnion) {
        for (Type& nested : item->items) type.items.push_back(std::move(nested));
      } else {
        type.items.push_back(*std::move(item));
      }
    } while (Consume("|"));
    if (type.items.size() == 1) return std::move(type.items[0]);
    return type;
  }

  int line() const { return line_; }

 private:
  absl::StatusOr<Type> ParsePostfix() {
    absl::StatusOr<Type> type = ParsePrimary();
    if (!type.ok()) return type.status();
    while (Consume("[]")) {
      Type array;
      array.kind = Type::kArray;
      array.items.push_back(*std::move(type));
      type = std::move(array);
    }
    return type;
  }

  absl::StatusOr<Type> ParsePrimary() {
    if (Consume("(")) {
      absl::StatusOr<Type> inner = ParseUnion();
      if (!inner.ok()) return inner.status();
      if (absl::Status status = Expect(")"); !status.ok()) return status;
      return inner;
    }
    Type type;
    if (Consume("\"")) {
      const size_t end = text_.find('"', pos_);
      if (end == absl::string_view::npos) return Error("unterminated string literal");
      type.kind = Type::kLiteral;
      type.text = std::string(text_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return type;
    }
    absl::StatusOr<std::string> word = Word();
    if (!word.ok()) return Error("expected a type");
    static const auto* const kKeywords = new std::map<std::string, Type::Kind>{
        {"string", Type::kString},       {"number", Type::kNumber}, {"boolean", Type::kBoolean},
        {"timestamp", Type::kTimestamp}, {"object", Type::kObject}, {"any", Type::kAny},
        {"null", Type::kNull},           {"true", Type::kTrue},     {"false", Type::kFalse},
    };
    if (*word == "map") {
      if (absl::Status status = Expect("<"); !status.ok()) return status;
      absl::StatusOr<Type> values = ParseUnion();
      if (!values.ok()) return values.status();
      if (absl::Status status = Expect(">"); !status.ok()) return status;
      type.kind = Type::kMap;
      type.items.push_back(*std::move(values));
      return type;
    }
    auto keyword = kKeywords->find(*word);
    if (keyword != kKeywords->end()) {
      type.kind = keyword->second;
    } else {
      type.kind = Type::kNamed;
      type.text = *word;
    }
    return type;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

// "2026-01-02T03:04:05Z" or with a fraction of a second; UTC only (API.md).
bool IsRfc3339Utc(absl::string_view text) {
  const absl::string_view pattern = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < pattern.size() + 1 || text.back() != 'Z') return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const bool digit = absl::ascii_isdigit(static_cast<unsigned char>(text[i]));
    if (pattern[i] == 'd' ? !digit : text[i] != pattern[i]) return false;
  }
  absl::string_view rest = text.substr(pattern.size(), text.size() - pattern.size() - 1);
  if (rest.empty()) return true;
  if (rest.size() < 2 || rest[0] != '.') return false;
  for (char c : rest.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : absl::StrCat(path, ".", name);
}

// What a JSON value is, with a short excerpt: `string "LEAD"`, `number 5`, `object`.
std::string Describe(const Value& value) {
  switch (value.kind_case()) {
    case Value::kNullValue:
      return "null";
    case Value::kNumberValue:
      return absl::StrCat("number ", value.number_value());
    case Value::kStringValue: {
      std::string text = value.string_value();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return absl::StrCat("string \"", text, "\"");
    }
    case Value::kBoolValue:
      return value.bool_value() ? "boolean true" : "boolean false";
    case Value::kStructValue:
      return "object";
    case Value::kListValue:
      return "array";
    default:
      return "nothing";
  }
}

}  // namespace

std::string FormatMismatches(const std::vector<Mismatch>& mismatches) {
  std::string out;
  for (const Mismatch& mismatch : mismatches) {
    absl::StrAppend(&out, mismatch.path.empty() ? "(body)" : mismatch.path, ": ", mismatch.problem,
                    "\n");
  }
  return out;
}

struct ContractDescription::Impl {
  std::map<std::string, ObjectType> objects;
  std::map<std::string, Type> aliases;
  std::vector<std::string> route_order;
  std::map<std::string, RouteEntry> routes;

  absl::Status Resolve(const Type& type, const std::string& where) const {
    if (type.kind == Type::kNamed && !objects.count(type.text) && !aliases.count(type.text)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown type ", type.text));
    }
    for (const Type& item : type.items) {
      if (absl::Status status = Resolve(item, where); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // Aliases replaced by what they name (to a depth: aliases may not loop).
  const Type& Unalias(const Type& type) const {
    const Type* current = &type;
    for (int i = 0; i < 32 && current->kind == Type::kNamed; ++i) {
      auto alias = aliases.find(current->text);
      if (alias == aliases.end()) break;
      current = &alias->second;
    }
    return *current;
  }

  // A union's alternatives, nested unions and aliases flattened.
  void Alternatives(const Type& type, std::vector<const Type*>* out, int depth = 0) const {
    const Type& resolved = Unalias(type);
    if (resolved.kind == Type::kUnion && depth < 32) {
      for (const Type& item : resolved.items) Alternatives(item, out, depth + 1);
    } else {
      out->push_back(&resolved);
    }
  }

  bool AllowsNull(const Type& type) const {
    std::vector<const Type*> alternatives;
    Alternatives(type, &alternatives);
    for (const Type* alternative : alternatives) {
      if (alternative->kind == Type::kNull || alternative->kind == Type::kAny) return true;
    }
    return false;
  }

  // Whether `value` is the right kind of JSON for `type` at its top level.
  bool SameKind(const Value& value, const Type& type) const {
    switch (type.kind) {
      case Type::kString:
      case Type::kTimestamp:
      case Type::kLiteral:
        return value.has_string_value();
      case Type::kNumber:
        return value.kind_case() == Value::kNumberValue;
      case Type::kBoolean:
      case Type::kTrue:
      case Type::kFalse:
        return value.kind_case() == Value::kBoolValue;
      case Type::kObject:
      case Type::kMap:
        return value.has_struct_value();
      case Type::kNamed:
        return objects.count(type.text) ? value.has_struct_value() : SameKind(value, Unalias(type));
      case Type::kArray:
        return value.has_list_value();
      case Type::kAny:
        return true;
      case Type::kNull:
        return value.kind_case() == Value::kNullValue;
      case Type::kUnion:
        for (const Type& item : type.items) {
          if (SameKind(value, item)) return true;
        }
        return false;
    }
    return false;
  }

  void WrongType(const Value& value, const Type& type, const std::string& path,
                 std::vector<Mismatch>* out) const {
    if (value.kind_case() == Value::kNullValue) {
      out->push_back({path, absl::StrCat("unexpected null: want ", TypeToString(type))});
    } else {
      out->push_back(
          {path, absl::StrCat("wrong type: got ", Describe(value), ", want ", TypeToString(type))});
    }
  }

  // `shown`: the name the messages give the type (an alias's), default `type`.
  void Check(const Value& value, const Type& type, const std::string& path,
             std::vector<Mismatch>* out, int depth = 0, const Type* shown = nullptr) const {
    if (shown == nullptr) shown = &type;
    if (depth > 64) {
      out->push_back({path, "nested too deeply"});
      return;
    }
    switch (type.kind) {
      case Type::kAny:
        return;
      case Type::kString:
      case Type::kNumber:
      case Type::kBoolean:
      case Type::kObject:
      case Type::kNull:
        if (!SameKind(value, type)) WrongType(value, *shown, path, out);
        return;
      case Type::kTimestamp:
        if (!value.has_string_value()) {
          WrongType(value, *shown, path, out);
        } else if (!IsRfc3339Utc(value.string_value())) {
          out->push_back({path, absl::StrCat("not an RFC 3339 UTC timestamp: ", Describe(value))});
        }
        return;
      case Type::kLiteral:
      case Type::kTrue:
      case Type::kFalse: {
        const bool same = type.kind == Type::kLiteral
                              ? value.has_string_value() && value.string_value() == type.text
                              : value.kind_case() == Value::kBoolValue &&
                                    value.bool_value() == (type.kind == Type::kTrue);
        if (!same) {
          out->push_back(
              {path, absl::StrCat("got ", Describe(value), ", want ", TypeToString(*shown))});
        }
        return;
      }
      case Type::kArray:
        if (!value.has_list_value()) {
          WrongType(value, *shown, path, out);
          return;
        }
        for (int i = 0; i < value.list_value().values_size(); ++i) {
          Check(value.list_value().values(i), type.items[0], absl::StrCat(path, "[", i, "]"), out,
                depth + 1);
        }
        return;
      case Type::kMap: {
        if (!value.has_struct_value()) {
          WrongType(value, *shown, path, out);
          return;
        }
        std::map<std::string, const Value*> sorted;
        for (const auto& [key, item] : value.struct_value().fields()) sorted[key] = &item;
        for (const auto& [key, item] : sorted) {
          Check(*item, type.items[0], Join(path, key), out, depth + 1);
        }
        return;
      }
      case Type::kNamed: {
        auto object = objects.find(type.text);
        if (object != objects.end()) {
          CheckObject(value, object->second, path, out, depth);
          return;
        }
        auto alias = aliases.find(type.text);
        if (alias != aliases.end()) Check(value, alias->second, path, out, depth + 1, shown);
        return;
      }
      case Type::kUnion:
        CheckUnion(value, type, *shown, path, out, depth);
        return;
    }
  }

  static bool IsLiteral(const Type& type) {
    return type.kind == Type::kLiteral || type.kind == Type::kTrue || type.kind == Type::kFalse;
  }

  // False when `value` is an object whose literal-typed fields (a tagged union's tag, such as
  // TrackingTemplateEntry's `type`) say it is not this alternative.
  bool TagsMatch(const Value& value, const Type& alternative) const {
    if (alternative.kind != Type::kNamed || !value.has_struct_value()) return true;
    auto object = objects.find(alternative.text);
    if (object == objects.end()) return true;
    for (const Field& field : object->second.fields) {
      const Type& type = Unalias(field.type);
      if (!IsLiteral(type)) continue;
      auto found = value.struct_value().fields().find(field.name);
      if (found == value.struct_value().fields().end()) continue;
      std::vector<Mismatch> ignored;
      Check(found->second, type, "", &ignored);
      if (!ignored.empty()) return false;
    }
    return true;
  }

  void CheckUnion(const Value& value, const Type& type, const Type& shown, const std::string& path,
                  std::vector<Mismatch>* out, int depth) const {
    std::vector<const Type*> alternatives;
    Alternatives(type, &alternatives);
    std::vector<Mismatch> best;
    bool have_best = false;
    bool best_tags_match = false;
    bool all_literals = true;
    for (const Type* alternative : alternatives) {
      if (!SameKind(value, *alternative)) continue;
      std::vector<Mismatch> trial;
      Check(value, *alternative, path, &trial, depth + 1);
      if (trial.empty()) return;
      all_literals &= IsLiteral(*alternative);
      // The alternative the value is closest to says best what is wrong: first the one its
      // tags name, then the one with the fewest differences.
      const bool tags_match = TagsMatch(value, *alternative);
      if (!have_best || (tags_match && !best_tags_match) ||
          (tags_match == best_tags_match && trial.size() < best.size())) {
        best = std::move(trial);
        have_best = true;
        best_tags_match = tags_match;
      }
    }
    if (!have_best) {
      WrongType(value, shown, path, out);
    } else if (all_literals) {
      out->push_back(
          {path, absl::StrCat("got ", Describe(value), ", want one of ", TypeToString(shown))});
    } else {
      out->insert(out->end(), best.begin(), best.end());
    }
  }

  void CheckObject(const Value& value, const ObjectType& object, const std::string& path,
                   std::vector<Mismatch>* out, int depth) const {
    if (!value.has_struct_value()) {
      Type named;
      named.kind = Type::kNamed;
      named.text = object.name;
      WrongType(value, named, path, out);
      return;
    }
    const auto& fields = value.struct_value().fields();
    for (const Field& field : object.fields) {
      auto found = fields.find(field.name);
      if (found == fields.end()) {
        if (field.optional) continue;
        out->push_back({Join(path, field.name),
                        AllowsNull(field.type)
                            ? absl::StrCat("missing: required and nullable (",
                                           TypeToString(field.type), "), send null when empty")
                            : absl::StrCat("missing: required (", TypeToString(field.type), ")")});
        continue;
      }
      Check(found->second, field.type, Join(path, field.name), out, depth + 1);
    }
    if (object.open) return;
    std::vector<std::string> extra;
    for (const auto& [key, unused] : fields) {
      bool known = false;
      for (const Field& field : object.fields) known |= field.name == key;
      if (!known) extra.push_back(key);
    }
    std::sort(extra.begin(), extra.end());
    for (const std::string& key : extra) {
      out->push_back(
          {Join(path, key), absl::StrCat("unexpected field: ", object.name, " has no such field")});
    }
  }
};

ContractDescription::ContractDescription() : impl_(std::make_unique<Impl>()) {}
ContractDescription::~ContractDescription() = default;
ContractDescription::ContractDescription(ContractDescription&&) noexcept = default;
ContractDescription& ContractDescription::operator=(ContractDescription&&) noexcept = default;

absl::StatusOr<ContractDescription> ContractDescription::Parse(absl::string_view text) {
  ContractDescription description;
  Impl& impl = *description.impl_;
  Parser parser(text);
  auto declared = [&impl](const std::string& name) {
    return impl.objects.count(name) > 0 || impl.aliases.count(name) > 0;
  };
  std::vector<std::pair<std::string, const Type*>> to_resolve;
  while (!parser.AtEnd()) {
    absl::StatusOr<std::string> keyword = parser.Word();
    if (!keyword.ok()) return parser.Error("expected type, alias or route");
    if (*keyword == "type") {
      ObjectType object;
      absl::StatusOr<std::string> name = parser.Word();
      if (!name.ok()) return name.status();
      if (declared(*name)) return parser.Error(absl::StrCat(*name, " declared twice"));
      object.name = *name;
      if (absl::Status status = parser.Expect("{"); !status.ok()) return status;
      while (!parser.Consume("}")) {
        if (parser.AtEnd()) return parser.Error(absl::StrCat("unterminated type ", *name));
        if (parser.Consume("...")) {
          object.open = true;
          parser.Consume(";");
          continue;
        }
        Field field;
        absl::StatusOr<std::string> field_name = parser.Word();
        if (!field_name.ok()) return field_name.status();
        for (const Field& other : object.fields) {
          if (other.name == *field_name) {
            return parser.Error(absl::StrCat(*name, ".", *field_name, " declared twice"));
          }
        }
        field.name = *field_name;
        field.optional = parser.Consume("?");
        if (absl::Status status = parser.Expect(":"); !status.ok()) return status;
        absl::StatusOr<Type> type = parser.ParseUnion();
        if (!type.ok()) return type.status();
        field.type = *std::move(type);
        if (absl::Status status = parser.Expect(";"); !status.ok()) return status;
        object.fields.push_back(std::move(field));
      }
      impl.objects[*name] = std::move(object);
    } else if (*keyword == "alias") {
      absl::StatusOr<std::string> name = parser.Word();
      if (!name.ok()) return name.status();
      if (declared(*name)) return parser.Error(absl::StrCat(*name, " declared twice"));
      if (absl::Status status = parser.Expect("="); !status.ok()) return status;
      absl::StatusOr<Type> type = parser.ParseUnion();
      if (!type.ok()) return type.status();
      impl.aliases[*name] = *std::move(type);
    } else if (*keyword == "route") {
      absl::StatusOr<std::string> verb = parser.Word();
      if (!verb.ok()) return verb.status();
      absl::StatusOr<std::string> path = parser.Raw();
      if (!path.ok()) return path.status();
      if (absl::Status status = parser.Expect("->"); !status.ok()) return status;
      absl::StatusOr<std::string> kind = parser.Word();
      if (!kind.ok()) return kind.status();
      static const auto* const kEnvelopes = new std::map<std::string, Envelope>{
          {"single", Envelope::kSingle}, {"offset", Envelope::kOffset},
          {"cursor", Envelope::kCursor}, {"list", Envelope::kList},
          {"delete", Envelope::kDelete}, {"bare", Envelope::kBare},
      };
      auto envelope = kEnvelopes->find(*kind);
      if (envelope == kEnvelopes->end()) {
        return parser.Error(absl::StrCat("unknown envelope ", *kind));
      }
      RouteEntry route;
      route.envelope = envelope->second;
      route.shape = *kind;
      if (route.envelope != Envelope::kDelete) {
        absl::StatusOr<Type> type = parser.ParseUnion();
        if (!type.ok()) return type.status();
        route.data = *std::move(type);
        absl::StrAppend(&route.shape, " ", TypeToString(route.data));
      }
      const std::string key = absl::StrCat(*verb, " ", *path);
      if (impl.routes.count(key)) return parser.Error(absl::StrCat(key, " described twice"));
      impl.route_order.push_back(key);
      impl.routes[key] = std::move(route);
    } else {
      return parser.Error(absl::StrCat("expected type, alias or route, got ", *keyword));
    }
  }
  for (const auto& [name, object] : impl.objects) {
    for (const Field& field : object.fields) {
      if (absl::Status status = impl.Resolve(field.type, absl::StrCat(name, ".", field.name));
          !status.ok()) {
        return status;
      }
    }
  }
  for (const auto& [name, type] : impl.aliases) {
    if (absl::Status status = impl.Resolve(type, name); !status.ok()) return status;
  }
  for (const auto& [key, route] : impl.routes) {
    if (absl::Status status = impl.Resolve(route.data, key); !status.ok()) return status;
  }
  for (const char* needed : {"OffsetPaginationMeta", "DeleteResponse"}) {
    if (!declared(needed)) {
      return absl::InvalidArgumentError(absl::StrCat("the envelopes need type ", needed));
    }
  }
  return description;
}

absl::StatusOr<ContractDescription> ContractDescription::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ContractDescription> description = Parse(text.str());
  if (!description.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", description.status().message()));
  }
  return description;
}

absl::StatusOr<std::vector<Mismatch>> ContractDescription::Check(
    const google::protobuf::Value& value, absl::string_view type_text) const {
  Parser parser(type_text);
  absl::StatusOr<Type> type = parser.ParseUnion();
  if (!type.ok()) return type.status();
  if (!parser.AtEnd()) return parser.Error("trailing text after the type");
  if (absl::Status status = impl_->Resolve(*type, std::string(type_text)); !status.ok()) {
    return status;
  }
  std::vector<Mismatch> mismatches;
  impl_->Check(value, *type, "", &mismatches);
  return mismatches;
}

std::vector<std::string> ContractDescription::RouteKeys() const { return impl_->route_order; }

bool ContractDescription::HasRoute(const std::string& route_key) const {
  return impl_->routes.count(route_key) > 0;
}

std::string ContractDescription::RouteShape(const std::string& route_key) const {
  auto route = impl_->routes.find(route_key);
  return route == impl_->routes.end() ? "" : route->second.shape;
}

std::vector<Mismatch> ContractDescription::CheckResponse(
    const std::string& route_key, const google::protobuf::Struct& body) const {
  auto found = impl_->routes.find(route_key);
  if (found == impl_->routes.end()) {
    return {{"", absl::StrCat("no described response for ", route_key)}};
  }
  const RouteEntry& route = found->second;
  Value value;
  *value.mutable_struct_value() = body;
  std::vector<Mismatch> mismatches;
  if (route.envelope == Envelope::kDelete) {
    impl_->CheckObject(value, impl_->objects.at("DeleteResponse"), "", &mismatches, 0);
    return mismatches;
  }
  // The body is the described value itself, with no {success, data} around it.
  if (route.envelope == Envelope::kBare) {
    impl_->Check(value, route.data, "", &mismatches);
    return mismatches;
  }
  ObjectType envelope;
  envelope.name = absl::StrCat("the envelope (", route.shape, ")");
  Field success;
  success.name = "success";
  success.type.kind = Type::kTrue;
  envelope.fields.push_back(success);
  Field data;
  data.name = "data";
  if (route.envelope == Envelope::kSingle) {
    data.type = route.data;
  } else {
    data.type.kind = Type::kArray;
    data.type.items.push_back(route.data);
  }
  envelope.fields.push_back(data);
  if (route.envelope == Envelope::kOffset) {
    Field pagination;
    pagination.name = "pagination";
    pagination.type.kind = Type::kNamed;
    pagination.type.text = "OffsetPaginationMeta";
    envelope.fields.push_back(pagination);
  } else if (route.envelope == Envelope::kCursor) {
    Field has_more;
    has_more.name = "has_more";
    has_more.type.kind = Type::kBoolean;
    envelope.fields.push_back(has_more);
  }
  impl_->CheckObject(value, envelope, "", &mismatches, 0);
  return mismatches;
}

}  // namespace affonso::tests
