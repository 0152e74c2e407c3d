curl --json '{"name":"web",' --json '"replicas":3,' --json '"image":"nginx:1.25"}' http://ECHO/api/deployments
