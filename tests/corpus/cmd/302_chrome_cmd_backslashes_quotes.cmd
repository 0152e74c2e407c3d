curl ^"http://ECHO/api/v2/saved-searches/7^" ^
  -X ^"PUT^" ^
  -H ^"accept: application/json^" ^
  -H ^"content-type: application/json^" ^
  -b ^"session=eyJ1c2VyIjo0Mn0.ZkZ9aA.sig^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36^" ^
  --data-raw ^"^{^\^"query^\^":^\^"title:^\^\^\^"release notes^\^\^\^"^\^",^\^"path^\^":^\^"C:^\^\^\^\Users^\^\^\^\bob^\^",^\^"dir^\^":^\^"D:^\^\^\^\^\^",^\^"re^\^":^\^"^^v^[0-9^]+^$^\^"^}^"
