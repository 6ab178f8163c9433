#!/usr/bin/env bash
# Prints the path of an executable that runs Temporal's time-skipping test server (the Java SDK's
# io.temporal:temporal-test-server from Maven Central), for @temporalio/testing's createTimeSkipping.
# The wrapper execs java, so the SDK can stop it; the jars are cached outside the repo.
set -euo pipefail

version="1.31.0"
base="${EVIDENCE_HUB_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evidence-hub}/temporal-test-server-$version"
wrapper="$base/temporal-test-server"

if [[ -x "$wrapper" && -f "$base/lib/temporal-test-server-$version.jar" ]]; then echo "$wrapper"; exit 0; fi
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ensure-temporal-test-server: $tool is required" >&2; exit 3; }
done
mkdir -p "$base"
cat > "$base/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.evidencehub.tools</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
echo "ensure-temporal-test-server: fetching io.temporal:temporal-test-server:$version and its dependencies" >&2
mvn -q -B -f "$base/pom.xml" dependency:copy-dependencies -DoutputDirectory="$base/lib" >&2
cat > "$wrapper" <<'SH'
#!/usr/bin/env bash
# Usage: temporal-test-server <port> [args...]
here="$(cd "$(dirname "$0")" && pwd)"
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
SH
chmod +x "$wrapper"
echo "$wrapper"
