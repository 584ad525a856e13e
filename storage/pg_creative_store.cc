#include "storage/pg_creative_store.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/ids.h"
#include "google/protobuf/struct.pb.h"
#include "storage/joined_statement.h"
#include "storage/pg_values.h"
#include "storage/program_scope_sql.h"
#include "storage/query_one.h"

namespace affonso::storage {
namespace {

using affonso::v1::Creative;
using affonso::v1::CreativeInput;

// The select (and RETURNING) list, under the names ReadCreative reads.
constexpr char kCreativeColumns[] =
    "c.id, c.name, c.description, c.category, c.subcategory, c.url, c.content, c.tags, c.width, "
    "c.height, c.usage_notes, c.restrictions, " AFFONSO_SQL_MICROS(
        "c.created_at") " AS created_at, " AFFONSO_SQL_MICROS("c.updated_at") " AS updated_at";

// Locked so that the per-program cap holds between racing creates (NO KEY
// UPDATE: inserts elsewhere referencing the program are not blocked).
constexpr JoinedStatement kLockProgram{
    "creative_lock_program", kWithProgram,
    "SELECT p.id, (SELECT count(*) FROM creatives c WHERE c.team_id = $1 AND c.program_id = p.id) "
    "  AS creatives "
    "FROM prog JOIN programs p ON p.id = prog.id FOR NO KEY UPDATE OF p"};

constexpr JoinedStatement kProgramId{"creative_program", kWithProgram, "SELECT id FROM prog"};

// $3 the new id, $4 the input as a JSON object of its present fields (a
// nullable field's null, or absent, is NULL; tags absent = []).
constexpr JoinedStatement kInsertCreative{
    "creative_insert", kWithProgram,
    "INSERT INTO creatives AS c (team_id, id, program_id, name, description, category, "
    "  subcategory, url, content, tags, width, height, usage_notes, restrictions) "
    "SELECT $1, $3, prog.id, $4::jsonb->>'name', $4::jsonb->>'description', "
    "  $4::jsonb->>'category', $4::jsonb->>'subcategory', $4::jsonb->>'url', "
    "  $4::jsonb->>'content', "
    "  ARRAY(SELECT jsonb_array_elements_text(coalesce($4::jsonb->'tags', '[]'::jsonb))), "
    "  ($4::jsonb->'dimensions'->>'width')::int, ($4::jsonb->'dimensions'->>'height')::int, "
    "  $4::jsonb->>'usage_notes', $4::jsonb->>'restrictions' "
    "FROM prog RETURNING ",
    kCreativeColumns};

// $3 the creative.
constexpr JoinedStatement kSelectCreative{
    "creative_select", kWithProgram, "SELECT ", kCreativeColumns,
    " FROM prog JOIN creatives c ON c.team_id = $1 AND c.program_id = prog.id AND c.id = $3"};

#define AFFONSO_PATCH_TEXT(column)                                                            \
  column " = CASE WHEN $4::jsonb ? '" column "' THEN $4::jsonb->>'" column "' ELSE c." column \
         " END, "

// $3 the creative, $4 the update as a JSON object of its present fields.
constexpr JoinedStatement kUpdateCreative{
    "creative_update",
    kWithProgram,
    "UPDATE creatives c SET " AFFONSO_PATCH_TEXT("name") AFFONSO_PATCH_TEXT("description")
        AFFONSO_PATCH_TEXT("category") AFFONSO_PATCH_TEXT("subcategory") AFFONSO_PATCH_TEXT("url")
            AFFONSO_PATCH_TEXT("content") AFFONSO_PATCH_TEXT("usage_notes")
                AFFONSO_PATCH_TEXT("restrictions")
    "  tags = CASE WHEN $4::jsonb ? 'tags' "
    "    THEN ARRAY(SELECT jsonb_array_elements_text($4::jsonb->'tags')) ELSE c.tags END, "
    "  width = CASE WHEN $4::jsonb ? 'dimensions' "
    "    THEN ($4::jsonb->'dimensions'->>'width')::int ELSE c.width END, "
    "  height = CASE WHEN $4::jsonb ? 'dimensions' "
    "    THEN ($4::jsonb->'dimensions'->>'height')::int ELSE c.height END, "
    "  updated_at = now() "
    "FROM prog WHERE c.team_id = $1 AND c.program_id = prog.id AND c.id = $3 "
    "RETURNING ",
    kCreativeColumns};
#undef AFFONSO_PATCH_TEXT

constexpr JoinedStatement kDeleteCreative{
    "creative_delete", kWithProgram,
    "DELETE FROM creatives c USING prog "
    "WHERE c.team_id = $1 AND c.program_id = prog.id AND c.id = $3"};

// $3 the category or NULL, $4 limit, $5 offset. The total rides along with
// the page; only a page past the end needs kCountCreatives.
constexpr JoinedStatement kListCreatives{
    "creative_list", kWithProgram, "SELECT ", kCreativeColumns,
    ", count(*) OVER () AS total FROM prog JOIN creatives c "
    "  ON c.team_id = $1 AND c.program_id = prog.id "
    "WHERE ($3::text IS NULL OR c.category = $3::text) "
    "ORDER BY c.created_at DESC, c.id DESC LIMIT $4::int OFFSET $5::bigint"};

constexpr JoinedStatement kCountCreatives{"creative_count", kWithProgram,
                                          "SELECT count(*) AS total FROM prog JOIN creatives c "
                                          "  ON c.team_id = $1 AND c.program_id = prog.id "
                                          "WHERE ($3::text IS NULL OR c.category = $3::text)"};

Creative ReadCreative(const pqxx::row& row) {
  Creative creative;
  creative.set_id(ReadText(row["id"]));
  auto text = [&](const char* column, void (Creative::*set)(const std::string&)) {
    if (!row[column].is_null()) (creative.*set)(ReadText(row[column]));
  };
  text("name", &Creative::set_name);
  text("description", &Creative::set_description);
  const auto category = CreativeCategoryFromDb(ReadText(row["category"]));
  if (category != affonso::v1::CREATIVE_CATEGORY_UNSPECIFIED) creative.set_category(category);
  text("subcategory", &Creative::set_subcategory);
  text("url", &Creative::set_url);
  text("content", &Creative::set_content);
  ReadTextArray(row["tags"], creative.mutable_tags());
  if (!row["width"].is_null() && !row["height"].is_null()) {
    creative.mutable_dimensions()->set_width(row["width"].as<int>());
    creative.mutable_dimensions()->set_height(row["height"].as<int>());
  }
  text("usage_notes", &Creative::set_usage_notes);
  text("restrictions", &Creative::set_restrictions);
  ReadTimestamp(row["created_at"], creative.mutable_created_at());
  ReadTimestamp(row["updated_at"], creative.mutable_updated_at());
  return creative;
}

// The input's present fields as one JSON object (the statements' $4).
std::string InputJson(const CreativeInput& input) {
  google::protobuf::Struct fields;
  auto& out = *fields.mutable_fields();
  auto put = [&](const char* name, bool present, const google::protobuf::Value& value) {
    if (present) out[name] = value;
  };
  put("name", input.has_name(), input.name());
  put("description", input.has_description(), input.description());
  put("category", input.has_category(), input.category());
  put("subcategory", input.has_subcategory(), input.subcategory());
  put("url", input.has_url(), input.url());
  put("content", input.has_content(), input.content());
  put("dimensions", input.has_dimensions(), input.dimensions());
  put("usage_notes", input.has_usage_notes(), input.usage_notes());
  put("restrictions", input.has_restrictions(), input.restrictions());
  if (input.has_tags()) *out["tags"].mutable_list_value() = input.tags();
  return StructToJson(fields);
}

}  // namespace

absl::StatusOr<Creative> PgCreativeStore::CreateCreative(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         const CreativeInput& input) {
  const std::string team(team_id);
  const std::string program(program_id);
  const std::string id = NewId("crv");
  const std::string json = InputJson(input);
  return pool_->InTransaction("create_creative", [&](Tx& tx) -> absl::StatusOr<Creative> {
    const pqxx::result locked = tx.Exec(kLockProgram, team, NullIfEmpty(program));
    if (locked.empty()) return NotFoundError("program");
    if (locked[0]["creatives"].as<int64_t>() >= kMaxCreativesPerProgram) {
      return ValidationError("program_id", absl::StrCat("a program holds at most ",
                                                        kMaxCreativesPerProgram, " creatives"));
    }
    const pqxx::result rows = tx.Exec(kInsertCreative, team, NullIfEmpty(program), id, json);
    if (rows.empty()) return NotFoundError("program");
    return ReadCreative(rows[0]);
  });
}

absl::StatusOr<Creative> PgCreativeStore::GetCreative(absl::string_view team_id,
                                                      absl::string_view program_id,
                                                      absl::string_view id) {
  const std::string team(team_id);
  const std::string program(program_id);
  return pool_->InTransaction("get_creative", [&](Tx& tx) -> absl::StatusOr<Creative> {
    if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) return NotFoundError("program");
    return QueryOne(tx, kSelectCreative, ReadCreative, "creative", team, NullIfEmpty(program), id);
  });
}

absl::StatusOr<CreativePage> PgCreativeStore::ListCreatives(absl::string_view team_id,
                                                            absl::string_view program_id,
                                                            const CreativeListQuery& query) {
  const std::string team(team_id);
  const std::string program(program_id);
  const char* category = CreativeCategoryToDb(query.category);
  const int64_t offset = (static_cast<int64_t>(query.page) - 1) * query.limit;
  return pool_->InTransaction("list_creatives", [&](Tx& tx) -> absl::StatusOr<CreativePage> {
    if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) return NotFoundError("program");
    CreativePage page;
    const pqxx::result rows =
        tx.Exec(kListCreatives, team, NullIfEmpty(program), category, query.limit, offset);
    if (rows.empty()) {
      if (offset > 0) {
        page.total =
            tx.Exec(kCountCreatives, team, NullIfEmpty(program), category)[0]["total"].as<int>();
      }
      return page;
    }
    page.total = rows[0]["total"].as<int>();
    page.creatives.reserve(rows.size());
    for (const pqxx::row& row : rows) page.creatives.push_back(ReadCreative(row));
    return page;
  });
}

absl::StatusOr<Creative> PgCreativeStore::UpdateCreative(absl::string_view team_id,
                                                         absl::string_view program_id,
                                                         absl::string_view id,
                                                         const CreativeInput& update) {
  const std::string team(team_id);
  const std::string program(program_id);
  const std::string json = InputJson(update);
  return pool_->InTransaction("update_creative", [&](Tx& tx) -> absl::StatusOr<Creative> {
    if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) return NotFoundError("program");
    return QueryOne(tx, kUpdateCreative, ReadCreative, "creative", team, NullIfEmpty(program), id,
                    json);
  });
}

absl::Status PgCreativeStore::DeleteCreative(absl::string_view team_id,
                                             absl::string_view program_id, absl::string_view id) {
  const std::string team(team_id);
  const std::string program(program_id);
  return pool_->InTransaction("delete_creative", [&](Tx& tx) -> absl::Status {
    if (tx.Exec(kProgramId, team, NullIfEmpty(program)).empty()) return NotFoundError("program");
    return RequireRow(tx, kDeleteCreative, "creative", team, NullIfEmpty(program), id);
  });
}

}  // namespace affonso::storage
