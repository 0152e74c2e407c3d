curl --json @files/cluster.json -H "Authorization: Bearer $TOKEN" http://ECHO/v3/clusters
