# derived: Chrome's "Copy all as cURL (cmd)" joins commands with " &\r\n"; cmd.exe drops the CR and the unescaped & ends the first command. JSON \" -> ^\^\^\^" -> \\\" -> \".
curl 'http://ECHO/v3/clusters?limit=-1&sort=name' \
  -H 'accept: application/json' \
  -b 'R_SESS=token-7xk2p:q8wz4nvm2c5j9hbl6tdrfs7kx3p; CSRF=9c1d4e7f2a' \
  -H 'x-api-no-challenge: true' \
  -H 'user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
curl 'http://ECHO/v3/projects' \
  -H 'accept: application/json' \
  -H 'content-type: application/json' \
  -b 'R_SESS=token-7xk2p:q8wz4nvm2c5j9hbl6tdrfs7kx3p; CSRF=9c1d4e7f2a' \
  -H 'x-api-csrf: 9c1d4e7f2a' \
  -H 'user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' \
  --data-raw '{"type":"project","name":"payments","clusterId":"c-8m7n2","description":"Team \"Payments\" (EU)"}'
