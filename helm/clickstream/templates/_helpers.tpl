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

{{/* Strimzi's bootstrap service for the cluster. */}}
{{- define "clickstream.bootstrap" -}}{{ .Values.kafka.clusterName }}-kafka-bootstrap:9092{{- end -}}
