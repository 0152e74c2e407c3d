curl -H $'X-Tab:\tvalue\twith\ttabs' -H 'X-Spaces:    lots   of   space' -H 'X-City: Zürich' -H 'X-Label: 東京 🗼' http://ECHO/api/h
