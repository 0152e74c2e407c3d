curl ^"http://ECHO/api/notes/shopping^" ^
  -H ^"accept: */*^" ^
  -H ^"content-type: text/plain;charset=UTF-8^" ^
  -H ^"origin: https://notes.example.com^" ^
  -H ^"user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36^" ^
  --data-raw ^"Einkaufsliste:^

- K^äse (100^% Bio)^

- Brot ^& Butter^

^

Danke^!^"
