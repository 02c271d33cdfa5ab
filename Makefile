# pg_safemigrate: PGXS build of the extension module from C++17 sources.
#
#   make && make install        build and install pg_safemigrate.so and the SQL scripts
#   make installcheck           pg_regress (sql/, expected/) and isolation (test/isolation/)
#                               against a running server that preloads the library
#   make unit                   the core's GoogleTest unit tests (CMake + CTest)
#
# scripts/test.sh runs all four suites against a throwaway cluster.

EXTENSION = pg_safemigrate
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = pg_safemigrate
# Install scripts: the first version's by hand, every later full script built
# from it and the upgrade scripts (so a fresh install and an upgrade cannot
# drift apart; sql/01_install.sql also compares them).
UPGRADES = pg_safemigrate--0.1.0--0.2.0.sql pg_safemigrate--0.2.0--0.3.0.sql
DATA = pg_safemigrate--0.1.0.sql $(UPGRADES)
DATA_built = pg_safemigrate--$(EXTVERSION).sql
# The command-line tool (pg_safemigrate check FILE...), installed into pg_config --bindir.
SCRIPTS = tools/pg_safemigrate

CORE_SRCS = $(wildcard src/core/*.cpp src/core/*/*.cpp)
PG_SRCS = $(wildcard src/pg/*.cpp)
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

PG_CPPFLAGS = -Isrc -DSAFEMIGRATE_VERSION=\"$(EXTVERSION)\"
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-register \
              -Wno-missing-field-initializers -Wno-unused-parameter -MMD -MP
ifeq ($(ERROR_ON_WARNING),1)
PG_CXXFLAGS += -Werror
endif
# PGXS links shared objects with the C compiler driver.
SHLIB_LINK = -lstdc++

# pg_regress: every sql/*.sql, in the order of the file names.
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --outputdir=build/regress
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=build/isolation

# Debian builds PostgreSQL with LLVM JIT, and PGXS would then also compile each
# .cpp to bitcode with clang, without our C++17 flags.  A utility hook gains
# nothing from JIT inlining, so skip the bitcode.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PostgreSQL 13 to 17 (only 15 is built and tested here).
ifneq ($(filter 13 14 15 16 17,$(MAJORVERSION)),$(MAJORVERSION))
$(error pg_safemigrate supports PostgreSQL 13 to 17, not $(MAJORVERSION))
endif

# The full script of the current version: the first version's script followed
# by every upgrade script (each without its header and \quit guard), in order.
pg_safemigrate--$(EXTVERSION).sql: pg_safemigrate--0.1.0.sql $(UPGRADES)
	{ echo '/* pg_safemigrate--$(EXTVERSION).sql: install script of pg_safemigrate $(EXTVERSION) (built by make from'; \
	  echo '   pg_safemigrate--0.1.0.sql and the upgrade scripts: edit those) */'; \
	  sed '1d' pg_safemigrate--0.1.0.sql; \
	  for f in $(UPGRADES); do sed '1,/\\quit/d' $$f; done; } > $@

-include $(OBJS:.o=.d)

# PGXS 15's uninstall removes $(bindir)/tools/pg_safemigrate, which never exists.
uninstall: uninstall-cli
.PHONY: uninstall-cli
uninstall-cli:
	rm -f '$(DESTDIR)$(bindir)/pg_safemigrate'

EXTRA_CLEAN = $(OBJS:.o=.d) build/regress build/isolation

.PHONY: unit
unit:
	cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build/cmake -j2
	cd build/cmake && ctest --output-on-failure
