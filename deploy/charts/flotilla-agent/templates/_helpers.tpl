{{- define "flotilla-agent.labels" -}}
app.kubernetes.io/name: flotilla-agent
app.kubernetes.io/part-of: flotilla
{{- end }}
{{- define "flotilla-agent.image" -}}
{{- if .Values.image.reference }}{{ .Values.image.reference }}{{ else }}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{ end }}
{{- end }}
{{- define "flotilla-agent.registrationSecret" -}}
{{- .Values.registration.existingSecret | default "flotilla-agent-registration" }}
{{- end }}
