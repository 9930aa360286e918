# clickstream: every user-facing command. `make help` lists them.
MVN ?= mvn -B -ntp
ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help build test produce pipeline clean

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

clean: ## delete build output
	$(MVN) -q clean
