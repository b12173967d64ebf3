// Small RAII wrappers over the SQLite C API, used by the store's index.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::control::store {

// One connection. Owned by one thread at a time (SQLite's default serialized mode would allow
// more, but the store never shares a connection).
class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Opens `path` read-write (creating it) or read-only. Returns an empty string on success.
  std::string Open(const std::string& path, bool read_only);
  // Opens a database that no process writes, read-only and without the -shm and -wal files that
  // WAL mode otherwise creates next to it (SQLite's immutable URI parameter).
  std::string OpenImmutable(const std::string& path);
  // Runs one or more statements without results. Returns an empty string on success.
  std::string Exec(const char* sql);
  std::string LastError() const;
  sqlite3* handle() const { return db_; }

 private:
  // Opens `name` (a path or a file: URI) with `flags`. Errors name `path`.
  std::string OpenWith(const std::string& name, int flags, const std::string& path);

  sqlite3* db_ = nullptr;
};

// One prepared statement, reset and reused.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  std::string Prepare(SqliteDb& db, std::string_view sql);
  void BindInt(int index, int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  void BindText(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  // Binds NULL for an empty text, which keeps absent fields out of the indexes' equality matches.
  void BindTextOrNull(int index, std::string_view text) {
    if (text.empty()) {
      sqlite3_bind_null(statement_, index);
    } else {
      BindText(index, text);
    }
  }
  void BindNull(int index) { sqlite3_bind_null(statement_, index); }
  // Returns SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(statement_); }
  void Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
  }
  bool IsNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace sluice::control::store
