curl.exe ^"http://ECHO/v3/cloudcredentials^" ^
  -H ^"accept: application/json^" ^
  -H ^"content-type: application/json^" ^
  -b ^"R_PCS=light; R_LOCALE=en-us; R_SESS=token-7xk2p:q8wz4nvm2c5j9hbl6tdrfs7kx3p; CSRF=9c1d4e7f2a^" ^
  -H ^"origin: https://rancher.example.com^" ^
  -H ^"referer: https://rancher.example.com/dashboard/c/_/manager/cloudCredential/create^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36^" ^
  -H ^"x-api-csrf: 9c1d4e7f2a^" ^
  --data-raw ^"^{^\^"type^\^":^\^"provisioning.cattle.io/cloud-credential^\^",^\^"metadata^\^":^{^\^"generateName^\^":^\^"cc-^\^",^\^"namespace^\^":^\^"fleet-default^\^"^},^\^"_name^\^":^\^"azure-dev^\^",^\^"annotations^\^":^{^\^"provisioning.cattle.io/driver^\^":^\^"azure^\^"^},^\^"azurecredentialConfig^\^":^{^\^"clientId^\^":^\^"0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b^\^",^\^"clientSecret^\^":^\^"x9~Qz8_Lk7.Jh6-Gf5^%^Ds4^\^",^\^"subscriptionId^\^":^\^"a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6^\^",^\^"environment^\^":^\^"AzurePublicCloud^\^"^}^}^"
