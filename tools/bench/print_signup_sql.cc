// Prints the SQL a signup conversion runs (`facts` or `write`), so the pgbench
// baseline of `./dev bench` measures the very statements the service executes.
#include <cstring>
#include <iostream>

#include "storage/pg_signup_store.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "facts") == 0) {
    std::cout << affonso::storage::PgSignupStore::FactsSql() << "\n";
  } else if (argc == 2 && std::strcmp(argv[1], "write") == 0) {
    std::cout << affonso::storage::PgSignupStore::ConvertBatchSql() << "\n";
  } else {
    std::cerr << "usage: print_signup_sql facts|write\n";
    return 2;
  }
  return 0;
}
