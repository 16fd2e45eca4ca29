# One image for every longctx service; the jar to run is the container's command:
#   docker run longctx:local /app/tokenizer-service.jar
# Built from the repository root: docker build -t longctx:local .

# ---- build: the whole reactor, tests skipped (CI runs them) ----
FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -DskipTests package \
 && mkdir /out && cp */target/*-service.jar /out/

# ---- runtime ----
FROM eclipse-temurin:25-jre
# curl for the healthchecks in docker-compose.yml.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 longctx
COPY --from=build /out/ /app/
USER longctx
WORKDIR /home/longctx
# The engine uses the incubating Vector API and native memory access; JDK_JAVA_OPTIONS reaches every `java`.
ENV JDK_JAVA_OPTIONS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
ENTRYPOINT ["java", "-jar"]
CMD ["/app/gateway-service.jar"]
