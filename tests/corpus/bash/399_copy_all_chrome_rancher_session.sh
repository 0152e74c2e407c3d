curl 'http://ECHO/v3-public/localProviders/local?action=login' \
  -H 'accept: application/json' \
  -H 'content-type: application/json' \
  -b 'R_PCS=light; R_LOCALE=en-us' \
  -H 'origin: https://rancher.example.com' \
  -H 'referer: https://rancher.example.com/dashboard/auth/login' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' \
  --data-raw '{"description":"UI session","responseType":"cookie","username":"admin","password":"S0me-Pass#1"}' ;
curl 'http://ECHO/v1/management.cattle.io.clusters?exclude=metadata.managedFields' \
  -H 'accept: application/json' \
  -b 'R_PCS=light; R_LOCALE=en-us; R_REDIRECTED=true; R_SESS=token-7xk2p:q8wz4nvm2c5j9hbl6tdrfs7kx3pgm4wq8vz2nn5hc7tdjr9lx; CSRF=9c1d4e7f2a' \
  -H 'referer: https://rancher.example.com/dashboard/home' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' ;
curl 'http://ECHO/v3/tokens' \
  -H 'accept: application/json' \
  -H 'content-type: application/json' \
  -b 'R_PCS=light; R_LOCALE=en-us; R_REDIRECTED=true; R_SESS=token-7xk2p:q8wz4nvm2c5j9hbl6tdrfs7kx3pgm4wq8vz2nn5hc7tdjr9lx; CSRF=9c1d4e7f2a' \
  -H 'origin: https://rancher.example.com' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' \
  -H 'x-api-csrf: 9c1d4e7f2a' \
  --data-raw '{"type":"token","description":"automation","clusterId":"c-8m7n2","ttl":7776000000}'
