# derived: ^" -> " (cmd), then \" -> " (CRT); ^{ ^} ^[ ^] ^& ^< ^> drop their caret.
curl 'http://ECHO/api/v2/orders' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: de-DE,de;q=0.9,en;q=0.8' \
  -H 'content-type: application/json' \
  -b 'session=eyJ1c2VyIjo0Mn0.ZkZ9aA.sig; cart=c-77' \
  -H 'origin: https://shop.example.com' \
  -H 'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"' \
  -H 'sec-ch-ua-platform: "Windows"' \
  -H 'user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' \
  --data-raw '{"items":[{"sku":"TSHIRT-M","qty":2}],"coupon":"SAVE10","gift":true,"note":"ring bell & wait <5 min>"}'
