import pandas as pd, numpy as np
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.tree import DecisionTreeRegressor
from sklearn2pmml import sklearn2pmml
from sklearn2pmml.pipeline import PMMLPipeline
F='/work/shared/fixtures/datasets/'
iris=pd.read_csv(F+'iris.csv'); bc=pd.read_csv(F+'breast_cancer.csv'); db=pd.read_csv(F+'diabetes.csv')
Xi=iris.drop(columns=['species']); yi=iris['species']
p=PMMLPipeline([('clf',GradientBoostingClassifier(n_estimators=5,max_depth=2,random_state=0))]); p.fit(Xi,yi); sklearn2pmml(p,'gbdt_iris.pmml')
cols=['mean_radius','mean_texture','worst_area','worst_concave_points']
Xb=bc[cols]; yb=bc['diagnosis']
p=PMMLPipeline([('clf',GradientBoostingClassifier(n_estimators=8,max_depth=2,random_state=0))]); p.fit(Xb,yb); sklearn2pmml(p,'gbdt_bc.pmml')
p=PMMLPipeline([('clf',RandomForestClassifier(n_estimators=4,max_depth=3,random_state=0))]); p.fit(Xi,yi); sklearn2pmml(p,'rf_iris.pmml')
Xd=db.drop(columns=['progression']); yd=db['progression']
p=PMMLPipeline([('reg',GradientBoostingRegressor(n_estimators=6,max_depth=2,random_state=0))]); p.fit(Xd,yd); sklearn2pmml(p,'gbr_diabetes.pmml')
p=PMMLPipeline([('reg',GradientBoostingRegressor(n_estimators=100,max_depth=3,random_state=0))]); p.fit(Xd,yd); sklearn2pmml(p,'gbr100_diabetes.pmml')
