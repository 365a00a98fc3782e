HEAD='''<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="%s"/>
  <DataDictionary>
    <DataField name="x1" optype="continuous" dataType="double"/>
    <DataField name="x2" optype="continuous" dataType="double"/>
    <DataField name="grp" optype="categorical" dataType="string"/>
    %s
  </DataDictionary>
'''
CLS_TARGET='<DataField name="y" optype="categorical" dataType="string"><Value value="no"/><Value value="yes"/><Value value="maybe"/></DataField>'
REG_TARGET='<DataField name="y" optype="continuous" dataType="double"/>'
labels=["no","yes","maybe"]
def ctree(t1, t2, probs):
    def leaf(pred, counts):
        best=labels[max(range(3), key=lambda i:counts[i])]
        sd="".join('<ScoreDistribution value="%s" recordCount="%s"/>'%(l,c) for l,c in zip(labels,counts))
        return '<Node score="%s">%s%s</Node>'%(best,pred,sd)
    return '''<TreeModel functionName="classification" missingValueStrategy="nullPrediction">
          <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
          <Node><True/>%s%s%s</Node>
        </TreeModel>'''%(leaf('<SimplePredicate field="x1" operator="lessOrEqual" value="%s"/>'%t1, probs[0]),
                         leaf('<SimplePredicate field="x2" operator="lessOrEqual" value="%s"/>'%t2, probs[1]),
                         leaf('<True/>', probs[2]))
def rtree(t1, s):
    return '''<TreeModel functionName="regression" missingValueStrategy="nullPrediction">
          <MiningSchema><MiningField name="x1"/><MiningField name="x2"/></MiningSchema>
          <Node><True/><Node score="%s"><SimplePredicate field="x1" operator="lessThan" value="%s"/></Node><Node score="%s"><True/></Node></Node>
        </TreeModel>'''%(s[0],t1,s[1])
def rreg(a,b,c):
    return '''<RegressionModel functionName="regression">
          <MiningSchema><MiningField name="x1"/><MiningField name="x2"/></MiningSchema>
          <RegressionTable intercept="%s"><NumericPredictor name="x1" coefficient="%s"/><NumericPredictor name="x2" coefficient="%s" exponent="2"/></RegressionTable>
        </RegressionModel>'''%(a,b,c)
def seg(i, model, pred='<True/>', weight=None):
    w=' weight="%s"'%weight if weight else ''
    return '<Segment id="%d"%s>%s\n        %s\n      </Segment>'%(i,w,pred,model)
names=[]
cls_segs=[ctree(0.5,1.0,[(8,1,1),(2,6,2),(3,3,4)]), ctree(0.0,2.0,[(5,5,0),(1,2,7),(6,2,2)]), ctree(1.0,0.5,[(1,8,1),(4,4,2),(2,3,5)])]
for method in ["majorityVote","weightedMajorityVote","average","weightedAverage"]:
    segs=[seg(i+1,m,weight=[0.5,2,1.25][i]) for i,m in enumerate(cls_segs)]
    doc=HEAD%("MiningModel classification "+method, CLS_TARGET)+'''  <MiningModel functionName="classification">
    <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="y" usageType="target"/></MiningSchema>
    <Output>
      <OutputField name="label" optype="categorical" dataType="string" feature="predictedValue"/>
      <OutputField name="p_no" optype="continuous" dataType="double" feature="probability" value="no"/>
      <OutputField name="p_yes" optype="continuous" dataType="double" feature="probability" value="yes"/>
      <OutputField name="p_maybe" optype="continuous" dataType="double" feature="probability" value="maybe"/>
    </Output>
    <Segmentation multipleModelMethod="%s">
      %s
    </Segmentation>
  </MiningModel>
</PMML>
'''%(method, "\n      ".join(segs))
    n="mining_cls_%s"%method; names.append(n)
    open(n+".pmml","w").write(doc)
reg_segs=[rtree(0.5,(1.5,-2.0)), rreg(0.25,1.5,-0.5), rtree(1.5,(10,20)), rreg(-1,0.1,0.2)]
preds=['<True/>','<True/>','<SimplePredicate field="grp" operator="equal" value="b"/>','<SimplePredicate field="x2" operator="greaterThan" value="0"/>']
sfpreds=['<SimplePredicate field="grp" operator="equal" value="a"/>','<SimplePredicate field="grp" operator="equal" value="b"/>','<SimplePredicate field="x1" operator="greaterThan" value="0"/>','<True/>']
for method in ["sum","average","weightedAverage","median","selectFirst"]:
    segs=[seg(i+1,m,pred=(preds[i] if method!="selectFirst" else sfpreds[i]),weight=[1,2,0.5,1.5][i]) for i,m in enumerate(reg_segs)]
    targets='<Targets><Target field="y" rescaleFactor="2" rescaleConstant="0.5"/></Targets>' if method=="sum" else ''
    doc=HEAD%("MiningModel regression "+method, REG_TARGET)+'''  <MiningModel functionName="regression">
    <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="grp"/><MiningField name="y" usageType="target"/></MiningSchema>
    %s
    <Segmentation multipleModelMethod="%s">
      %s
    </Segmentation>
  </MiningModel>
</PMML>
'''%(targets, method, "\n      ".join(segs))
    n="mining_reg_%s"%method; names.append(n)
    open(n+".pmml","w").write(doc)
import random
random.seed(7)
rows=["x1,x2,grp"]
for i in range(40):
    def v(lo,hi):
        return "" if random.random()<0.08 else str(round(random.uniform(lo,hi),3))
    g=random.choice(["a","b","c",""])
    rows.append("%s,%s,%s"%(v(-1,2),v(-1,2.5),g))
inp="\n".join(rows)+"\n"
for n in names:
    open(n+".input.csv","w").write(inp)
