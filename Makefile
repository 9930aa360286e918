# clickstream: every user-facing command. `make help` lists them.
MVN ?= mvn -B -ntp
ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help run clean-data build test produce pipeline bench-sessions clean

run: build ## the whole pipeline on this machine: embedded Kafka + PostgreSQL, producer, Spark (ARGS="--rate 200 ...")
	java $$(cat app/target/jvm.options) -Xmx3g -cp 'local/target/classes:local/target/lib/*' dev.clickstream.local.LocalClickstream $(ARGS)

clean-data: ## delete ./data (Kafka log, PostgreSQL, lake, checkpoints) so that make run starts over
	rm -rf ./data

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## compile and package: producer/target/clickstream-producer.jar, app/target/clickstream-app.jar (+ lib/)
	$(MVN) -q install -DskipTests

test: ## run every test (unit + integration with in-process Kafka and embedded PostgreSQL)
	$(MVN) install

produce: build ## run the producer CLI, e.g. make produce ARGS="--output - --count 5"
	java -jar producer/target/clickstream-producer.jar $(ARGS)

pipeline: build ## run the Spark pipeline against KAFKA_BOOTSTRAP_SERVERS / JDBC_URL / DB_USER / DB_PASSWORD from the environment
	java $$(cat app/target/jvm.options) -cp 'app/target/clickstream-app.jar:app/target/lib/*' dev.clickstream.app.ClickstreamPipeline $(ARGS)

bench-sessions: build ## benchmark session state: 100k users, 10 min of event time (ARGS="users events/s minutes")
	java $$(cat app/target/jvm.options) -Xmx6g -cp 'bench/target/classes:bench/target/lib/*' dev.clickstream.bench.SessionStateBenchmark $(ARGS)

clean: ## delete build output
	$(MVN) -q clean
