{{/* Kubernetes recommended labels. */}}
{{- define "clickstream.labels" -}}
app.kubernetes.io/name: clickstream
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clickstream
{{- end -}}

{{/* Postgres names: StatefulSet, services and Secret share one prefix. */}}
{{- define "clickstream.postgres" -}}{{ .Release.Name }}-postgres{{- end -}}

{{/* The JDBC URL the Spark application uses (the ClusterIP service). */}}
{{- define "clickstream.jdbcUrl" -}}
jdbc:postgresql://{{ include "clickstream.postgres" . }}:5432/{{ .Values.postgres.database }}
{{- end -}}

{{/* Strimzi's bootstrap service for the cluster: the TLS + SCRAM listener, or the plain one without security. */}}
{{- define "clickstream.bootstrap" -}}
{{ .Values.kafka.clusterName }}-kafka-bootstrap:{{ if .Values.security.kafkaAuthentication }}9093{{ else }}9092{{ end }}
{{- end -}}

{{/* KafkaUser names (and so the names of the Secrets Strimzi generates for them). */}}
{{- define "clickstream.kafkaUser.pipeline" -}}{{ .Release.Name }}-pipeline{{- end -}}
{{- define "clickstream.kafkaUser.producer" -}}{{ .Release.Name }}-producer{{- end -}}
{{- define "clickstream.kafkaUser.kafkaUi" -}}{{ .Release.Name }}-kafka-ui{{- end -}}

{{/*
Kafka client settings of a pod (DESIGN §5), as container env entries. With security on: SASL_SSL with
SCRAM-SHA-512, the JAAS line from the client's KafkaUser Secret and the cluster CA from Strimzi's
<cluster>-cluster-ca-cert Secret, both by reference (never a value in the manifest). Call with
(dict "root" $ "user" "<KafkaUser name>").
*/}}
{{- define "clickstream.kafkaClientEnv" -}}
{{- $v := .root.Values -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "clickstream.bootstrap" .root }}
{{- if $v.security.kafkaAuthentication }}
- name: KAFKA_SECURITY_PROTOCOL
  value: SASL_SSL
- name: KAFKA_SASL_MECHANISM
  value: SCRAM-SHA-512
- name: KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef: {name: {{ .user }}, key: sasl.jaas.config}
- name: KAFKA_SSL_TRUSTSTORE_CERTIFICATES
  valueFrom:
    secretKeyRef: {name: {{ $v.kafka.clusterName }}-cluster-ca-cert, key: ca.crt}
{{- end }}
{{- end -}}

{{/*
The restricted Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards): a
container's securityContext. The pod's securityContext adds runAsNonRoot, the user and seccompProfile RuntimeDefault.
*/}}
{{- define "clickstream.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}


{{/*
A Spark pod template (operator v2.5.2 hands it to spark-submit as spark.kubernetes.{driver,executor}.podTemplateFile;
Spark keeps its security contexts, volumes and the named container's mounts). The restricted profile, uid 185 (the
Spark image's user `spark`), and an emptyDir on /tmp: the image's /opt/entrypoint.sh writes /tmp/java_opts.txt, the
JVM its perf data, Spark its temporary files; Spark's local dirs are emptyDirs of their own. Call with
(dict "container" "spark-kubernetes-driver" | "spark-kubernetes-executor"), the container names the operator uses.
*/}}
{{- define "clickstream.sparkPodTemplate" -}}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 185
    runAsGroup: 185
    fsGroup: 185
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: {{ .container }}
      securityContext:
        {{- include "clickstream.restrictedContainer" . | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
  volumes:
    - {name: tmp, emptyDir: {}}
{{- end -}}

{{/*
What the pipeline's and the recompute's SparkApplications share: image, the application jar and libraries where
Jib puts them (checked against the built image by the tests), and the sparkConf that mounts the shared claim,
configures Delta and sizes the pods. Ends inside sparkConf, so that a caller adds its own settings below it.
*/}}
{{- define "clickstream.sparkApplicationCommon" -}}
{{- $mount := .Values.storage.mountPath -}}
type: Java
mode: cluster
image: {{ .Values.app.image.repository }}:{{ .Values.app.image.tag }}
imagePullPolicy: {{ .Values.app.image.pullPolicy }}
sparkVersion: {{ .Values.app.sparkVersion | quote }}
mainApplicationFile: local:///app/classpath/clickstream-app.jar
sparkConf:
  spark.driver.extraClassPath: /app/libs/*
  spark.executor.extraClassPath: /app/libs/*
  spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName: {{ .Values.storage.claimName }}
  spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path: {{ $mount }}
  spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName: {{ .Values.storage.claimName }}
  spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path: {{ $mount }}
  # Delta Lake (the lake table): its SQL extension and catalog, set before the session starts (Delta docs,
  # "Configure SparkSession"); the jars are in /app/libs. The same defaults are in the application's session.
  spark.sql.extensions: io.delta.sql.DeltaSparkSessionExtension
  spark.sql.catalog.spark_catalog: org.apache.spark.sql.delta.catalog.DeltaCatalog
  # CPU requested by the pods (less than the task slots of `cores`): Spark's running-on-kubernetes docs
  spark.kubernetes.driver.request.cores: {{ .Values.app.driver.requestCores | quote }}
  spark.kubernetes.executor.request.cores: {{ .Values.app.executor.requestCores | quote }}
  # 2 per executor task slot (DESIGN §8); the application's own default counts the driver's processors, which on
  # a node without a CPU limit are the host's (32 on a 16-core laptop), frozen into the checkpoints
  spark.sql.shuffle.partitions: {{ mul 2 .Values.app.executor.cores .Values.app.executor.instances | quote }}
  # the root filesystem is read-only: Spark's default warehouse is ./spark-warehouse in the image's work dir
  spark.sql.warehouse.dir: /tmp/spark-warehouse
{{- end -}}
