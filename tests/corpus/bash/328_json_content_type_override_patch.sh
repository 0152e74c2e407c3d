curl -X PATCH --json '{"spec":{"replicas":2}}' -H 'Content-Type: application/merge-patch+json' http://ECHO/apis/apps/v1/namespaces/default/deployments/web
