curl -X POST -H 'Content-Type: application/json' -d @files/cluster.json http://ECHO/v3/clusters
