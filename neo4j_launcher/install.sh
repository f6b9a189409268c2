#!/usr/bin/env bash
# Build the embedded Neo4j 5.26 launcher: target/chain-brain-neo4j-launcher.jar + target/lib/*.jar.
# Idempotent: returns at once when the jar is newer than the sources and the pom.
# Needs OpenJDK 17 (Neo4j 5.26 does not run on newer JDKs) and Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

find_java17() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" && "$(java_major "$JAVA_HOME")" == "17" ]]; then
    echo "$JAVA_HOME"; return 0
  fi
  local cand
  for cand in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/*17* \
              "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    if [[ -x "$cand/bin/java" && "$(java_major "$cand")" == "17" ]]; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

if ! JAVA17="$(find_java17)"; then
  echo "neo4j_launcher: no Java 17 found (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm/*17*)." >&2
  echo "Neo4j 5.26 needs Java 17: install openjdk-17-jdk-headless or set JAVA_HOME to a JDK 17." >&2
  exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  echo "neo4j_launcher: Maven (mvn) not found; install the 'maven' package." >&2
  exit 1
fi

jar="target/chain-brain-neo4j-launcher.jar"
if [[ -f "$jar" && -d target/lib && -z "$(find pom.xml src -newer "$jar" -print -quit)" ]]; then
  echo "neo4j_launcher: up to date ($jar, Java at $JAVA17)"
  exit 0
fi

echo "neo4j_launcher: building with Java at $JAVA17"
# a new Neo4j version must not leave the old jars on the classpath; a source-only change keeps
# them (a running server holds them open)
if [[ ! -f "$jar" || pom.xml -nt "$jar" ]]; then rm -rf target/lib; fi
JAVA_HOME="$JAVA17" mvn -q -B package
echo "neo4j_launcher: built $jar and $(ls target/lib | wc -l) dependency jars"
